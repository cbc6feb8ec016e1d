"""The DuckDB store: one file, one writer process (DESIGN §5)."""
