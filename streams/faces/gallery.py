"""A project's roster gallery: one contiguous float32 matrix, cosine matching, explicit unknown.

A probe matches a worker only if the best score clears ``threshold`` and beats the best
*other* worker by ``margin``; otherwise the answer is unknown (``worker_id`` None), never
the nearest. Several enrolment photos of one worker are several rows with the same owner.

The matrix and its owners are swapped as one tuple, so a match running in another thread
always sees a consistent roster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DIMENSIONS = 128
# A worker has at most this many enrolment photos, so the best row of any *other*
# worker is among the top MAX_PHOTOS + 1 rows.
MAX_PHOTOS = 5


@dataclass(frozen=True)
class Match:
    worker_id: str | None  # None: nobody enrolled in this project
    score: float
    runner_up: float

    @property
    def known(self) -> bool:
        return self.worker_id is not None


def as_unit_rows(embeddings: npt.ArrayLike) -> npt.NDArray[np.float32]:
    rows = np.asarray(embeddings, np.float32).reshape(-1, DIMENSIONS)
    if rows.size and not np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3):
        raise ValueError("gallery rows must be unit-length embeddings")
    return rows


class Gallery:
    def __init__(self, *, threshold: float = 0.363, margin: float = 0.05) -> None:
        self.threshold = threshold
        self.margin = margin
        empty = np.zeros((0, DIMENSIONS), np.float32)
        self._rows: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], list[str]] = (
            empty,
            np.zeros(0, np.int64),
            [],
        )

    def __len__(self) -> int:
        return int(self._rows[0].shape[0])

    @property
    def workers(self) -> set[str]:
        _, owners, names = self._rows
        return {names[i] for i in np.unique(owners)}

    def load(self, rows: dict[str, npt.NDArray[np.float32]]) -> None:
        """Replace the whole roster at once: each worker's enrolled rows."""
        names = list(rows)
        blocks = [as_unit_rows(rows[name]) for name in names]
        owners = [name for name, block in zip(names, blocks, strict=True) for _ in block]
        matrix = np.vstack(blocks) if blocks else np.zeros((0, DIMENSIONS), np.float32)
        self.load_rows(owners, matrix)

    def load_rows(self, owners: Sequence[str], matrix: npt.NDArray[np.float32]) -> None:
        """Replace the whole roster with ``matrix``, row ``i`` enrolled by ``owners[i]``."""
        rows = as_unit_rows(matrix)
        if len(owners) != len(rows):
            raise ValueError(f"{len(owners)} owners for {len(rows)} rows")
        code_of: dict[str, int] = {}
        codes = np.fromiter(
            (code_of.setdefault(owner, len(code_of)) for owner in owners), np.int64, len(owners)
        )
        if len(codes) and int(np.bincount(codes).max()) > MAX_PHOTOS:
            raise ValueError(f"at most {MAX_PHOTOS} embeddings per worker")
        self._rows = (np.ascontiguousarray(rows), codes, list(code_of))

    def replace_worker(self, worker_id: str, embeddings: npt.ArrayLike) -> None:
        """Set a worker's enrolled embeddings (unit rows), replacing any earlier ones."""
        rows = as_unit_rows(embeddings)
        if len(rows) > MAX_PHOTOS:
            raise ValueError(f"at most {MAX_PHOTOS} embeddings per worker")
        matrix, owners, names = self._without(worker_id)
        names = [*names, worker_id]
        owners = np.concatenate([owners, np.full(len(rows), len(names) - 1, np.int64)])
        self._rows = (np.ascontiguousarray(np.vstack([matrix, rows])), owners, names)

    def remove_worker(self, worker_id: str) -> None:
        """An exited worker no longer matches."""
        self._rows = self._without(worker_id)

    def _without(
        self, worker_id: str
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], list[str]]:
        matrix, owners, names = self._rows
        if worker_id not in names:
            return self._rows
        gone = names.index(worker_id)
        keep = owners != gone
        # Renumber so owner codes stay dense indexes into the shorter name list.
        shifted = owners[keep] - (owners[keep] > gone)
        return (
            np.ascontiguousarray(matrix[keep]),
            shifted,
            names[:gone] + names[gone + 1 :],
        )

    def match(self, probe: npt.ArrayLike) -> Match:
        matrix, owners, names = self._rows  # one consistent roster
        if not len(owners):
            return Match(None, 0.0, 0.0)
        scores = matrix @ np.asarray(probe, np.float32).reshape(DIMENSIONS)
        top = min(MAX_PHOTOS + 1, len(scores))
        candidates = np.argpartition(scores, -top)[-top:]
        candidates = candidates[np.argsort(scores[candidates])[::-1]]
        best = int(candidates[0])
        owner = int(owners[best])
        others = [float(scores[i]) for i in candidates if owners[i] != owner]
        runner_up = max(others, default=-1.0)
        score = float(scores[best])
        if score >= self.threshold and score - runner_up >= self.margin:
            return Match(names[owner], score, runner_up)
        return Match(None, score, runner_up)
