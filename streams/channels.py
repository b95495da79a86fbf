"""Redis key and pub/sub channel names (the floor: every service uses them, so they live
beside the topics). What goes on the channels is in :mod:`streams.live_messages`."""

from __future__ import annotations


def project_channel(namespace: str, project_id: str) -> str:
    return f"{namespace}live.project.{project_id}"


def presence_key(namespace: str, project_id: str) -> str:
    """The Redis key holding a project's live presence (JSON, written by streams)."""
    return f"{namespace}presence.{project_id}"


def device_seen_key(namespace: str) -> str:
    """The Redis hash of each device's last contact (unix seconds), written by ingest."""
    return f"{namespace}devices.last_seen"


def device_clock_key(namespace: str) -> str:
    """The Redis hash of each vendor terminal's recent clock offsets (JSON list of
    receive time minus device time, seconds), written by ingest."""
    return f"{namespace}devices.clock_offsets"


def device_state_key(namespace: str) -> str:
    """The Redis hash of what each gate last told of itself, written by streams from
    ``gate.heartbeats`` and ``gate.passes``: fields ``<device_id>:<fact>``, facts in
    :data:`DEVICE_FACTS`."""
    return f"{namespace}devices.state"


#: heartbeat_at and last_pass_at are unix seconds; firmware and backlog as the gate said.
DEVICE_FACTS = ("heartbeat_at", "firmware", "backlog", "last_pass_at")


def project_channel_pattern(namespace: str) -> str:
    return f"{namespace}live.project.*"


def project_of_channel(namespace: str, channel: str) -> str | None:
    prefix = f"{namespace}live.project."
    return channel[len(prefix) :] if channel.startswith(prefix) else None
