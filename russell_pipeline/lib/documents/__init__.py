"""Reading published documents: PDF text layer, list parser, document kind, raw-file rules, a year's
tables."""
