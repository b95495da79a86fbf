"""Redis key and pub/sub channel names and the live pass message (the floor: every service
uses them, so they live beside the topics)."""

from __future__ import annotations

import json

from streams.records import PassEvent


def project_channel(namespace: str, project_id: str) -> str:
    return f"{namespace}live.project.{project_id}"


def presence_key(namespace: str, project_id: str) -> str:
    """The Redis key holding a project's live presence (JSON, written by streams)."""
    return f"{namespace}presence.{project_id}"


def device_seen_key(namespace: str) -> str:
    """The Redis hash of each device's last contact (unix seconds), written by ingest."""
    return f"{namespace}devices.last_seen"


def project_channel_pattern(namespace: str) -> str:
    return f"{namespace}live.project.*"


def project_of_channel(namespace: str, channel: str) -> str | None:
    prefix = f"{namespace}live.project."
    return channel[len(prefix) :] if channel.startswith(prefix) else None


def pass_message(event: PassEvent) -> str:
    """The JSON text a dashboard receives for one pass."""
    return json.dumps(
        {"type": "pass", "event": event.model_dump(mode="json")},
        ensure_ascii=False,
        separators=(",", ":"),
    )
