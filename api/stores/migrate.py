"""Apply the PostgreSQL migrations, each in its own transaction, recording their versions."""

from __future__ import annotations

import psycopg

from infra.migrations import Migration, discover, pending


def migrate_postgres(dsn: str) -> list[Migration]:
    """Apply what is pending; returns the migrations applied now."""
    applied_now = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        # One migrator at a time, even if two launchers race.
        conn.execute("SELECT pg_advisory_lock(7301)")
        try:
            applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for migration in pending(discover("api.stores"), applied):
                with conn.transaction():
                    for statement in migration.statements:
                        conn.execute(statement.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                applied_now.append(migration)
        finally:
            conn.execute("SELECT pg_advisory_unlock(7301)")
    return applied_now
