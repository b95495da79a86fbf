"""The WebSocket hub (Redis pub/sub to role-scoped dashboards) and the pages it serves."""
