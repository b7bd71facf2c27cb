"""The reconstitution forecast: which companies enter and leave the Russell 3000, and which cross
between the Russell 1000 and 2000, at a review, from a rank-day universe and the members in force,
by FTSE Russell's published construction rules (rules.py, the table; forecast.py, the engine;
score.py, the forecast against the lists FTSE Russell then published)."""
