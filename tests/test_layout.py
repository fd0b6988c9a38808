"""The shape the code keeps: SQL only in storage/ (import-linter checks the import layers
in CI; this looks for SQL written anywhere else)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIEW))|\.(execute|query)\(")


def package_modules():
    for folder in ("crawler", "reports", "scheduler", "config", "storage"):
        yield from (ROOT / folder).glob("*.py")
    yield from ROOT.glob("*.py")


def test_sql_lives_only_in_storage():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in package_modules()
        if path.parent.name != "storage"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if SQL.search(line)
    ]
    assert found == []


def test_the_check_finds_sql_where_it_is():
    assert any(SQL.search(line) for line in (ROOT / "storage" / "checks.py").read_text().splitlines())


def test_every_command_is_in_the_readmes_table():
    from citewatch.scheduler.cli import cli

    table = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")]
    missing = [name for name in cli.commands if not any(f"`{name}" in line for line in table)]
    assert missing == []
