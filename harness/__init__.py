"""Running the portal for real, for the tests and the benchmarks alike: a server in a child
process (``server``), patients and staff over HTTP with a server clock set to a chosen morning
(``live``), and crowds of patients logged in through the real pages (``crowd``)."""
