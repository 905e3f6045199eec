"""Output for people (Rich) apart from logs: one console for results, one for errors."""

from __future__ import annotations

import sys

import orjson
from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: object) -> None:
    """Write `data` as indented JSON on stdout (for scripts: no colour, no wrapping)."""
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    sys.stdout.flush()
