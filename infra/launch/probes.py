"""Readiness probes: each answers True when a server or service is ready, never raises."""

from __future__ import annotations

import json
import logging
import socket
import urllib.request
from collections.abc import Callable
from urllib.error import URLError

Probe = Callable[[], bool]


def tcp_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def redis_pong(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def postgres_answers(dsn: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=1) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def clickhouse_answers(url: str) -> bool:
    from analytics.clickhouse import connect

    # The driver logs a traceback for every refused connection; a probe expects refusals.
    logging.getLogger("clickhouse_driver.connection").setLevel(logging.CRITICAL)
    try:
        connect(url, database="").execute("SELECT 1")
        return True
    except Exception:
        return False


def http_healthy(host: str, port: int, path: str = "/healthz") -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=1.0) as response:
            return bool(response.status == 200)
    except (URLError, OSError, ValueError):
        return False


def held_partitions(host: str, port: int) -> int:
    """How many partitions a streams worker holds, by its /healthz; -1 if it does not answer."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=1.0) as response:
            return int(json.loads(response.read())["partitions"])
    except urllib.error.HTTPError as refused:  # 503 while it joins or loads: still says
        try:
            return int(json.loads(refused.read())["partitions"])
        except (ValueError, KeyError, TypeError):
            return -1
    except (URLError, OSError, ValueError, KeyError, TypeError):
        return -1
