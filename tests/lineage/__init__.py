"""Tests of lineage, OpenLineage events and row provenance (`databank.lineage`)."""
