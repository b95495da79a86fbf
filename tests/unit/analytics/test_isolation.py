"""A store that refuses some rows: the rest is written, the refused come back with reasons."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from clickhouse_driver.errors import ErrorCodes, NetworkError, ServerException

from analytics.isolation import write_isolating
from infra.outages import is_outage


class PickyStore:
    """Refuses a whole batch when any row is negative, like a server refusing a block."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.writes = 0

    def write(self, rows: Sequence[int]) -> None:
        self.writes += 1
        bad = [row for row in rows if row < 0]
        if bad:
            raise ServerException(f"Cannot parse value {bad[0]}", code=ErrorCodes.CANNOT_PARSE_TEXT)
        self.rows.extend(rows)


def test_refused_rows_are_isolated_and_the_rest_written() -> None:
    store = PickyStore()
    rows = [*range(500), -7, *range(500, 999), -9]
    refused = write_isolating(rows, store.write, is_outage=is_outage)
    assert sorted(store.rows) == list(range(999))
    assert [r.row for r in refused] == [-7, -9]
    assert "Cannot parse value -7" in refused[0].reason
    assert store.writes < 45  # about 2·log2(n) per refused row, not one write per row


def test_a_clean_batch_is_one_write() -> None:
    store = PickyStore()
    assert write_isolating(list(range(1000)), store.write, is_outage=is_outage) == []
    assert store.writes == 1


def test_an_outage_is_raised_for_the_caller_to_retry_not_isolated() -> None:
    def down(rows: Sequence[int]) -> None:
        raise NetworkError("Code: 210. Connection refused (127.0.0.1:19000)")

    with pytest.raises(NetworkError):
        write_isolating([1, 2, 3], down, is_outage=is_outage)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (NetworkError("refused"), True),
        (ConnectionResetError(), True),
        (EOFError(), True),
        (ServerException("too many parts", code=ErrorCodes.TOO_MANY_PARTS), True),
        (ServerException("cannot parse", code=ErrorCodes.CANNOT_PARSE_DATETIME), False),
        (OverflowError("date value out of range"), False),
        (ValueError("bad"), False),
    ],
)
def test_what_counts_as_an_outage(error: BaseException, outage: bool) -> None:
    assert is_outage(error) is outage
