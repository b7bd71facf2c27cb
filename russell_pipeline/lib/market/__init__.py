"""The market-data contract (validation) and the synthetic feed."""
