"""Ingestion: contracts, the BronzeWriter (the one road into bronze) and, later, the sources."""
