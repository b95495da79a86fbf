"""A project's roster gallery: one contiguous float32 matrix, cosine matching, explicit unknown.

A probe matches a worker only if the best score clears ``threshold`` and beats the best
*other* worker by ``margin``; otherwise the answer is :data:`UNKNOWN`, never the nearest.
Several enrolment photos of one worker are several rows with the same worker id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DIMENSIONS = 128


@dataclass(frozen=True)
class Match:
    worker_id: str | None  # None: nobody enrolled in this project
    score: float
    runner_up: float

    @property
    def known(self) -> bool:
        return self.worker_id is not None


class Gallery:
    def __init__(self, *, threshold: float = 0.363, margin: float = 0.05) -> None:
        self.threshold = threshold
        self.margin = margin
        self._matrix = np.zeros((0, DIMENSIONS), np.float32)
        self._owners: list[str] = []

    def __len__(self) -> int:
        return len(self._owners)

    @property
    def workers(self) -> set[str]:
        return set(self._owners)

    def replace_worker(self, worker_id: str, embeddings: npt.NDArray[np.float32]) -> None:
        """Set a worker's enrolled embeddings (unit rows), replacing any earlier ones."""
        rows = np.asarray(embeddings, np.float32).reshape(-1, DIMENSIONS)
        norms = np.linalg.norm(rows, axis=1)
        if rows.size and not np.allclose(norms, 1.0, atol=1e-3):
            raise ValueError("gallery rows must be unit-length embeddings")
        self.remove_worker(worker_id)
        self._matrix = np.ascontiguousarray(np.vstack([self._matrix, rows]))
        self._owners.extend([worker_id] * len(rows))

    def remove_worker(self, worker_id: str) -> None:
        """An exited worker no longer matches."""
        keep = [i for i, owner in enumerate(self._owners) if owner != worker_id]
        if len(keep) != len(self._owners):
            self._matrix = np.ascontiguousarray(self._matrix[keep])
            self._owners = [self._owners[i] for i in keep]

    def match(self, probe: npt.NDArray[np.float32]) -> Match:
        if not self._owners:
            return Match(None, 0.0, 0.0)
        scores = self._matrix @ np.asarray(probe, np.float32).reshape(DIMENSIONS)
        best = int(np.argmax(scores))
        owner = self._owners[best]
        others = [float(s) for s, o in zip(scores, self._owners, strict=True) if o != owner]
        runner_up = max(others, default=-1.0)
        score = float(scores[best])
        if score >= self.threshold and score - runner_up >= self.margin:
            return Match(owner, score, runner_up)
        return Match(None, score, runner_up)
