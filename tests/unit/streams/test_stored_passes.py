"""Where an attendance worker apart from the passes workers starts each partition."""

from faust.types import TP

from streams.stored_passes import replay_points

TOPIC = "sitepulse.gate.passes"


def test_a_partition_starts_at_the_passes_groups_offset_when_that_lies_behind() -> None:
    own = {TP(TOPIC, 0): 120, TP(TOPIC, 1): 80, TP(TOPIC, 2): 50}
    stored = {0: 100, 1: 80, 2: 70}
    # Partition 0: 100..119 were read but not yet stored; 1 and 2 agree or lie ahead.
    assert replay_points(own, stored) == {TP(TOPIC, 0): 100}


def test_where_the_passes_group_committed_nothing_from_the_beginning() -> None:
    assert replay_points({TP(TOPIC, 3): 40}, {}) == {TP(TOPIC, 3): 0}


def test_a_partition_this_group_never_committed_starts_as_faust_would() -> None:
    assert replay_points({TP(TOPIC, 4): None}, {4: 10}) == {}
