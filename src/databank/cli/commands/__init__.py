"""CLI command modules: each defines `register(app)`; `databank.cli.main` loads them all."""
