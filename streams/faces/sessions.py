"""onnxruntime sessions configured as ARCHITECTURE.md measured best on this hardware, on
the execution provider chosen by ``SITEPULSE_FACE_PROVIDER``: ``auto`` (CUDA where this
onnxruntime build and machine have it, else the CPU), ``cuda`` (CUDA, falling back to the
CPU with a warning when it is not there) or ``cpu``."""

from __future__ import annotations

import logging
from pathlib import Path

import onnxruntime as ort

log = logging.getLogger(__name__)
CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"


def providers(wanted: str = "auto") -> list[str]:
    """The providers to try, best first (the CPU always last)."""
    if wanted == "cpu":
        return [CPU]
    available = ort.get_available_providers()
    if CUDA in available:
        return [CUDA, CPU]
    if wanted == "cuda":
        log.warning("CUDA was asked for but this onnxruntime has %s: using the CPU", available)
    return [CPU]


def open_session(model: Path, *, threads: int = 1, provider: str = "auto") -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Spinning threads doubled latency on the 2-core machines (ARCHITECTURE.md §Faces).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3  # SFace's exporter leaves initializers as inputs: noisy
    session = ort.InferenceSession(str(model), sess_options=options, providers=providers(provider))
    log.info("%s runs on %s", model.name, session.get_providers()[0])
    return session
