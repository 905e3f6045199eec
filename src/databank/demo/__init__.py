"""Demo data: a deterministic, coherent fictional retailer for the pipeline and tests."""
