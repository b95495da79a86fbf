"""Capture snapshots on disk: one JPEG per frame, kept for a retention period.

A reference looks like ``P001/2026-11-21/G1_42.jpg`` (project, UTC capture date, event);
the API serves a reference only to callers whose scope covers its project, and the
retention purge deletes whole date folders.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path

from infra.errors import NotFoundError

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}"
_REF = re.compile(
    rf"^(?P<project>{_NAME})/(?P<day>\d{{4}}-\d{{2}}-\d{{2}})/(?P<file>{_NAME})\.jpg$"
)


def snapshot_ref(project_id: str, event_id: str, occurred_at: datetime) -> str:
    return f"{project_id}/{occurred_at.date().isoformat()}/{event_id.replace(':', '_')}.jpg"


def project_of(ref: str) -> str:
    """The project a reference belongs to; :class:`NotFoundError` if it is not one."""
    found = _REF.match(ref)
    if found is None or ".." in ref:
        raise NotFoundError(f"no snapshot {ref!r}")
    return found["project"]


class SnapshotStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, ref: str) -> Path:
        project_of(ref)
        return self.root / ref

    def save(self, ref: str, data: bytes) -> None:
        """Write atomically: a reader never sees half a JPEG."""
        path = self.path_of(ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(data)
        partial.replace(path)

    def read(self, ref: str) -> bytes:
        path = self.path_of(ref)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no snapshot {ref!r} (it may have passed its retention)") from None

    def purge_before(self, oldest_kept: date) -> int:
        """Delete every day folder older than ``oldest_kept``; returns how many."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for project in self.root.iterdir():
            if not project.is_dir():
                continue
            for day in project.iterdir():
                try:
                    captured = date.fromisoformat(day.name)
                except ValueError:
                    continue
                if captured < oldest_kept:
                    shutil.rmtree(day, ignore_errors=True)
                    removed += 1
        return removed
