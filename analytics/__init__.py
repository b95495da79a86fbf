"""ClickHouse: schema and migrations, the batched idempotent sink, and analytics queries."""
