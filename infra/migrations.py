"""Versioned SQL migrations: discovery and ordering (pure), shared by PostgreSQL and ClickHouse.

A migration is a file ``NNNN_name.sql`` in a package's ``migrations`` folder. Statements
are separated by a line holding only ``;`` or by ``;`` at a line end, because ClickHouse
takes one statement per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def statements(self) -> list[str]:
        lines = [line for line in self.sql.splitlines() if not line.strip().startswith("--")]
        return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def discover(package: str) -> list[Migration]:
    """Every migration shipped in ``<package>/migrations``, in version order."""
    folder = resources.files(package).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions in {package}: {versions}")
    return found


def pending(available: list[Migration], applied: set[int]) -> list[Migration]:
    return [migration for migration in available if migration.version not in applied]
