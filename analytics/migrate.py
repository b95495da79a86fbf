"""Apply the ClickHouse migrations (one statement per request), recording their versions."""

from __future__ import annotations

from analytics.clickhouse import connect, database_name
from infra.migrations import Migration, discover, pending


def migrate_clickhouse(url: str) -> list[Migration]:
    """Create the database if needed and apply what is pending; returns what was applied now."""
    database = database_name(url)
    connect(url, database="").execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    client = connect(url)
    client.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version UInt32, name String, applied_at DateTime DEFAULT now())"
        " ENGINE = MergeTree() ORDER BY version"
    )
    applied = {row[0] for row in client.execute("SELECT version FROM schema_migrations")}
    applied_now = []
    for migration in pending(discover("analytics"), applied):
        for statement in migration.statements:
            client.execute(statement)
        client.execute(
            "INSERT INTO schema_migrations (version, name) VALUES",
            [(migration.version, migration.name)],
        )
        applied_now.append(migration)
    return applied_now
