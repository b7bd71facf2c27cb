"""Pure functions: parsing, calendar, market data, weights, levels. No Dagster here."""
