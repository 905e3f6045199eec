"""Data quality: checks declared as data and compiled to SQL."""
