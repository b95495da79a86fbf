"""What attendance groups by: each worker's trade and team per project (pure).

Fed by the registry topic, like the face galleries. A membership turning ``exited`` is
remembered until the attendance adapter takes it, so a worker still on site is closed out;
every current exit is also kept, for a worker that takes a project over.
"""

from __future__ import annotations

from datetime import datetime

from streams.records import RegistryChange


class RosterFacts:
    def __init__(self) -> None:
        self._trade: dict[str, str] = {}
        self._team: dict[tuple[str, str], str] = {}
        self._exits: list[tuple[str, str, datetime]] = []
        self._exited: dict[tuple[str, str], datetime] = {}  # every current exit, kept
        self._changed: set[str] = set()

    def apply(self, change: RegistryChange) -> None:
        if change.entity == "worker":
            self._trade[change.entity_id] = str(change.state.get("trade") or "")
            self._changed.add(change.entity_id)
        elif change.entity == "membership":
            worker = str(change.state["worker_id"])
            project = str(change.state["project_id"])
            team = change.state.get("team_id")
            self._team[(project, worker)] = "" if team is None else str(team)
            self._changed.add(worker)
            if change.state.get("status") == "exited":
                self._exits.append((project, worker, change.changed_at))
                self._exited[(project, worker)] = change.changed_at
            else:
                self._exited.pop((project, worker), None)

    def trade(self, worker_id: str) -> str:
        return self._trade.get(worker_id, "")

    def team(self, project_id: str, worker_id: str) -> str:
        return self._team.get((project_id, worker_id), "")

    def take_exits(self) -> list[tuple[str, str, datetime]]:
        """Roster exits since the last call: (project, worker, when)."""
        taken, self._exits = self._exits, []
        return taken

    def exits_in(self, projects: set[str]) -> list[tuple[str, str, datetime]]:
        """Every current roster exit of these projects (a worker taking them over)."""
        return [(p, w, at) for (p, w), at in self._exited.items() if p in projects]

    def take_changed(self) -> set[str]:
        """Workers whose trade or team changed since the last call."""
        taken, self._changed = self._changed, set()
        return taken
