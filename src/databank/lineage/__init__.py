"""Lineage: column lineage from model SQL, OpenLineage events, row provenance."""
