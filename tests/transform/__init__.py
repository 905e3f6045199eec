"""Tests of the model runner (`databank.transform`)."""
