"""Numbered migrations, one module each (`v0001_….py` defining `MIGRATION`)."""
