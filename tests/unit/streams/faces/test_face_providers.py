"""Where the face models run: the CPU when asked, CUDA first where it exists, and the CPU
as the fallback (logged) when CUDA is asked for on a machine without it."""

from __future__ import annotations

import logging

import onnxruntime as ort
import pytest

from infra.settings import load_settings
from streams.faces.pipeline import FaceEngine
from streams.faces.sessions import CPU, CUDA, providers


def test_the_cpu_when_asked_and_cuda_first_where_it_exists() -> None:
    assert providers("cpu") == [CPU]
    has_cuda = CUDA in ort.get_available_providers()
    assert providers("auto") == ([CUDA, CPU] if has_cuda else [CPU])


def test_cuda_asked_for_without_it_falls_back_to_the_cpu_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        chosen = providers("cuda")
    if CUDA in ort.get_available_providers():  # a GPU machine: CUDA, the CPU behind it
        assert chosen == [CUDA, CPU] and not caplog.text
    else:
        assert chosen == [CPU] and "using the CPU" in caplog.text


def test_the_engine_reports_the_provider_its_models_run_on() -> None:
    engine = FaceEngine(load_settings({}).model_dir.resolve(), provider="cpu")
    assert engine.provider is None  # not loaded yet
    engine.ready()
    assert engine.provider == CPU
