from __future__ import annotations

from infra.migrations import Migration, discover, pending


def test_shipped_migrations_are_ordered_and_split_into_statements() -> None:
    for package in ("api.stores", "analytics"):
        found = discover(package)
        assert found and [m.version for m in found] == sorted(m.version for m in found)
        assert all(m.statements for m in found)


def test_comments_are_dropped_and_statements_split() -> None:
    migration = Migration(1, "x", "-- a comment; with a semicolon\nCREATE A;\n\nCREATE B\n;\n")
    assert migration.statements == ["CREATE A", "CREATE B"]


def test_pending_skips_applied() -> None:
    available = [Migration(1, "a", "X"), Migration(2, "b", "Y")]
    assert [m.version for m in pending(available, {1})] == [2]
