from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from analytics.sink import PASS_COLUMNS, pass_columns, pass_row
from streams.records import Direction, PassEvent, PassMethod


def test_rows_hold_epoch_seconds_in_column_order_and_columns_transpose_them() -> None:
    china = timezone(timedelta(hours=8))
    event = PassEvent(
        event_id="G1:1",
        device_id="G1",
        project_id="P1",
        worker_id=None,
        direction=Direction.OUT,
        method=PassMethod.QR,
        occurred_at=datetime(2026, 11, 21, 8, 0, tzinfo=china),
        received_at=datetime(2026, 11, 21, 0, 0, 5, tzinfo=UTC),
    )
    row = pass_row(event)
    assert len(row) == len(PASS_COLUMNS)
    as_dict = dict(zip(PASS_COLUMNS, row, strict=True))
    # 08:00+08:00 is 00:00 UTC; DateTime columns take epoch seconds.
    assert as_dict["occurred_at"] == int(datetime(2026, 11, 21, 0, 0, tzinfo=UTC).timestamp())
    assert as_dict["direction"] == "out" and as_dict["snapshot_ref"] == ""
    columns = pass_columns([event, event])
    assert len(columns) == len(PASS_COLUMNS)
    assert columns[0] == ["G1:1", "G1:1"]
