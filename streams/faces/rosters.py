"""Every project's gallery, kept from the registry topic's changes (pure, no I/O).

Two kinds of change matter: ``membership`` (a worker entered or exited a project) and
``enrolment`` (a worker's face embeddings, or none after a removal). A project's gallery
holds the enrolled workers whose membership there is active.
"""

from __future__ import annotations

import base64
from collections import defaultdict

import numpy as np
import numpy.typing as npt

from streams.faces.gallery import DIMENSIONS, Gallery, Match, as_unit_rows
from streams.records import RegistryChange


def encode_embedding(row: npt.NDArray[np.float32]) -> str:
    """A unit embedding as base64 of its 128 little-endian float32s (512 bytes)."""
    return base64.b64encode(np.asarray(row, "<f4").reshape(DIMENSIONS).tobytes()).decode()


def decode_embedding(text: str) -> npt.NDArray[np.float32]:
    return np.frombuffer(base64.b64decode(text), "<f4").astype(np.float32).reshape(DIMENSIONS)


class Rosters:
    def __init__(self, *, threshold: float, margin: float) -> None:
        self.threshold = threshold
        self.margin = margin
        self._galleries: dict[str, Gallery] = {}
        self._enrolled: dict[str, npt.NDArray[np.float32]] = {}
        self._projects_of: dict[str, set[str]] = defaultdict(set)

    def gallery(self, project_id: str) -> Gallery:
        if project_id not in self._galleries:
            self._galleries[project_id] = Gallery(threshold=self.threshold, margin=self.margin)
        return self._galleries[project_id]

    def apply(self, change: RegistryChange) -> None:
        """Apply one change; changes to other entities are ignored."""
        if change.entity == "membership":
            worker_id = str(change.state["worker_id"])
            project_id = str(change.state["project_id"])
            if change.state.get("status") == "active":
                self._projects_of[worker_id].add(project_id)
                if worker_id in self._enrolled:
                    self.gallery(project_id).replace_worker(worker_id, self._enrolled[worker_id])
            else:
                self._projects_of[worker_id].discard(project_id)
                self.gallery(project_id).remove_worker(worker_id)
        elif change.entity == "enrolment":
            worker_id = change.entity_id
            rows = [decode_embedding(text) for text in change.state.get("embeddings", [])]
            if rows:
                self._enrolled[worker_id] = as_unit_rows(np.stack(rows))
            else:
                self._enrolled.pop(worker_id, None)
            for project_id in self._projects_of.get(worker_id, set()):
                if rows:
                    self.gallery(project_id).replace_worker(worker_id, self._enrolled[worker_id])
                else:
                    self.gallery(project_id).remove_worker(worker_id)

    def identify(self, project_id: str, probe: npt.NDArray[np.float32]) -> Match:
        """1:N against the project's roster."""
        return self.gallery(project_id).match(probe)

    def verify(
        self, project_id: str, worker_id: str, probe: npt.NDArray[np.float32]
    ) -> float | None:
        """1:1: the best cosine between ``probe`` and the claimed worker's enrolment, or None
        when that worker is not enrolled and active in the project."""
        if project_id not in self._projects_of.get(worker_id, set()):
            return None
        enrolled = self._enrolled.get(worker_id)
        if enrolled is None:
            return None
        return float(np.max(enrolled @ np.asarray(probe, np.float32).reshape(DIMENSIONS)))
