"""Tests of file ingestion: readers, mappings, the ingest command and hostile files."""
