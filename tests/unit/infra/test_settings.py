from __future__ import annotations

import pytest

from infra.errors import SettingsError
from infra.settings import load_settings


def test_defaults_are_loopback_and_namespaced() -> None:
    settings = load_settings({})
    assert settings.bind_host == "127.0.0.1"
    assert settings.topic("gate.passes") == "sitepulse.gate.passes"
    assert settings.sink_batch_rows == 1000


def test_values_are_read_from_sitepulse_variables() -> None:
    settings = load_settings({"SITEPULSE_INGEST_PORT": "9100", "SITEPULSE_NAMESPACE": "t1."})
    assert settings.ingest_port == 9100
    assert settings.topic("alerts") == "t1.alerts"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SITEPULSE_INGEST_PORT", "abc", "valid integer"),
        ("SITEPULSE_INGEST_PORT", "70000", "less than or equal to 65535"),
        ("SITEPULSE_REDIS_URL", "nope", "must be a URL"),
        ("SITEPULSE_POSTGRES_DSN", "postgresql://h:xx/db", "bad port"),
        ("SITEPULSE_KAFKA_BOOTSTRAP", "localhost", "host:port"),
        ("SITEPULSE_LOG_LEVEL", "loud", "should match pattern"),
        ("SITEPULSE_STREAMS_ROLES", "wages", "or all of them"),
        ("SITEPULSE_STREAMS_ROLES", "faces,passes", "or all of them"),
    ],
)
def test_bad_value_names_the_variable_and_the_value(
    variable: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({variable: value})
    message = str(caught.value)
    assert f"{variable}={value!r}" in message
    assert expected in message


def test_unknown_variable_is_refused_so_typos_are_found() -> None:
    with pytest.raises(SettingsError, match="unknown setting SITEPULSE_INGEST_PROT"):
        load_settings({"SITEPULSE_INGEST_PROT": "1"})


def test_unrelated_variables_are_ignored() -> None:
    assert load_settings({"PATH": "/bin", "SITEPULSEX": "1"}).api_port == 8000


def test_a_streams_role_apart_is_a_consumer_group_of_its_own() -> None:
    everything = load_settings(
        {"SITEPULSE_STREAMS_ROLES": "payroll,faces,passes,heartbeats,attendance"}
    )
    assert everything.roles == {"passes", "attendance", "faces", "heartbeats", "payroll"}
    assert everything.streams_roles == "passes,attendance,faces,heartbeats,payroll"
    assert load_settings({}).roles == everything.roles
    assert everything.streams_group == "sitepulse.streams"
    attendance = load_settings({"SITEPULSE_STREAMS_ROLES": " attendance "})
    assert attendance.roles == {"attendance"}
    assert attendance.streams_group == "sitepulse.streams-attendance"
    assert attendance.streams_group_of("passes") == "sitepulse.streams-passes"
