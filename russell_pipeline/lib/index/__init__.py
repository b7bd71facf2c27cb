"""The 90/10 index: weights, daily levels, the checks that recompute them a second way, the report."""
