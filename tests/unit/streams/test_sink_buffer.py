from __future__ import annotations

from streams.sink_buffer import SinkBuffer


def test_due_when_full() -> None:
    buffer: SinkBuffer[int, str] = SinkBuffer(max_rows=3, max_age_s=10)
    buffer.add([1, 2], ["a", "b"], now=0)
    assert not buffer.due(now=1)
    buffer.add([3], ["c"], now=1)
    assert buffer.due(now=1)
    assert buffer.take() == ([1, 2, 3], ["a", "b", "c"])
    assert len(buffer) == 0 and not buffer.due(now=100)


def test_due_when_the_oldest_entry_is_old_enough() -> None:
    buffer: SinkBuffer[int, str] = SinkBuffer(max_rows=1000, max_age_s=1.0)
    buffer.add([1], ["a"], now=10.0)
    buffer.add([2], ["b"], now=10.9)
    assert not buffer.due(now=10.99)
    assert buffer.due(now=11.0)  # measured from the first entry, not the last


def test_holds_without_rows_still_age_and_flush() -> None:
    # A batch of only bad events holds their acks until the next write.
    buffer: SinkBuffer[int, str] = SinkBuffer(max_rows=10, max_age_s=1.0)
    buffer.add([], ["bad"], now=0)
    assert buffer.due(now=1.0)
    assert buffer.take() == ([], ["bad"])
