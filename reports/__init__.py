"""Reports: check records to CSV/markdown tables, the benchmark, and the main command."""
