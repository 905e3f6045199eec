"""Transformations: the model runner for silver and gold, and the SQL models."""
