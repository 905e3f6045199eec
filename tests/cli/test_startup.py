"""Start-up: `databank --version` and `--help` import no command module; the help list is true."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from databank.cli.main import COMMANDS, load_commands

_LOADED = textwrap.dedent("""
    import sys
    sys.argv = ["databank", *sys.argv[1:]]
    from databank.cli.main import main
    try:
        main()
    except SystemExit:
        pass
    heavy = ("databank.cli.commands.", "databank.context", "databank.engines", "fastapi", "duckdb",
             "sqlglot", "pyarrow", "httpx", "databank.metrics")
    print("LOADED", sorted({m for m in sys.modules if m.startswith(heavy)}))
""")


def _loaded(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_nothing_heavy_is_imported(args: list[str]) -> None:
    """No command module, engine, web framework or SQL parser for the version or the help."""
    assert _loaded(*args) == "LOADED []"


def test_a_command_imports_only_its_module() -> None:
    """`databank status --help` loads the module of `status`, not those of the others."""
    loaded = _loaded("status", "--help")
    assert "databank.cli.commands.schema" in loaded
    for other in ("demo", "ingest", "kpi", "lineage", "run", "serve", "keys"):
        assert f"databank.cli.commands.{other}'" not in loaded


def test_help_lines_match_the_commands() -> None:
    """Every command's listed help is its docstring's first line, in the module it names."""
    for name, entry in COMMANDS.items():
        command = load_commands(entry.module)[name]
        assert (command.help or "").strip().splitlines()[0] == entry.help, name


def test_unknown_command_is_a_usage_error() -> None:
    """A typo exits 2 with click's message and a suggestion, not an internal error."""
    done = subprocess.run(
        [sys.executable, "-m", "databank.cli.main", "stauts"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "No such command 'stauts'. Did you mean 'status'?" in done.stderr
