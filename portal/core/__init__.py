"""What every feature shares and nothing depends on: domain errors, the clock, languages and
wording, masking, the hospital's touchpoints, and the events features react to. It imports no
feature and nothing of the web."""
