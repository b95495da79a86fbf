"""Runs after the other integration tests: no full ID number reached any process log.

Every test above registers workers with full ID numbers; the logs of all nine processes
of the session's stack must not contain one.
"""

from __future__ import annotations

import re

from infra.settings import Settings

ID_NUMBER = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9X](?![0-9])"
)


def test_no_full_id_number_in_any_log(stack: Settings) -> None:
    logs = sorted((stack.resolved_data_dir / "logs").glob("*.log"))
    assert {path.stem for path in logs} >= {"api", "ingest", "streams", "postgres"}
    leaks = {
        path.name: ID_NUMBER.findall(path.read_text(errors="replace"))[:3]
        for path in logs
        if ID_NUMBER.search(path.read_text(errors="replace"))
    }
    assert leaks == {}
