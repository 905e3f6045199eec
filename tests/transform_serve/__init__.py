"""Micro-batches in a running `databank serve`: gold follows bronze without a trigger."""
