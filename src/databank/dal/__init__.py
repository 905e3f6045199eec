"""Data-access layer: in-process Python access per layer, on any engine."""
