"""The Starlette REST API for people, and the PostgreSQL schema it owns."""
