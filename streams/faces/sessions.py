"""onnxruntime sessions configured as ARCHITECTURE.md measured best on this hardware."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort


def providers() -> list[str]:
    """CUDA when this onnxruntime build and machine have it, the CPU otherwise."""
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


def open_session(model: Path, *, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Spinning threads doubled latency on the 2-core machines (ARCHITECTURE.md §Faces).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3  # SFace's exporter leaves initializers as inputs: noisy
    return ort.InferenceSession(str(model), sess_options=options, providers=providers())
