"""russell_pipeline: FTSE Russell published documents into tables and index series."""
