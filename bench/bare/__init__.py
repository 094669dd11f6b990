"""The baseline for the pages benchmark: bare Litestar and Jinja, no database, no session, no
middleware of ours, rendering a page of the size the benchmark asks for."""
