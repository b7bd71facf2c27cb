"""Running builds and jobs: `build` and its runs on the Dagster code location, above `defs`."""
