"""Tests of the bronze ingestion (BronzeWriter, contracts, PII, replay)."""
