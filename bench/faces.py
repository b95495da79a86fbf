"""Face pipeline throughput and latency beside bare onnxruntime, in the same run.

Both sides use the same models, thread settings and golden photos (fetched like the tests):

- baseline: YuNet ``session.run`` on a ready blob, then SFace ``session.run`` on a ready
  112×112 blob, nothing else;
- pipeline: :class:`Detector` (letterbox, run, decode, NMS) → :func:`align` → :class:`Embedder`.

    .venv/bin/python bench/faces.py [--seconds 10] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.settings import load_settings
from streams.faces.aligner import align
from streams.faces.detector import INPUT_SIZE, Detector
from streams.faces.embedder import Embedder
from streams.faces.model_files import SFACE, YUNET, fetch
from streams.faces.sessions import open_session
from tests.golden import golden_photos


def measure(step: Callable[[int], object], seconds: float) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    index = 0
    while time.perf_counter() - started < seconds:
        before = time.perf_counter()
        step(index)
        latencies.append(time.perf_counter() - before)
        index += 1
    return index / (time.perf_counter() - started), latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    models = load_settings().model_dir.resolve()
    fetch(models)
    frames = []
    for path in golden_photos().values():
        image = cv2.imread(str(path))
        if image is None:
            raise SystemExit(f"cannot read {path}")
        scale = min(1.0, INPUT_SIZE / max(image.shape[:2]))
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        frames.append(np.asarray(cv2.resize(image, size), np.uint8))

    detector = Detector(models / YUNET.name, threads=args.threads)
    embedder = Embedder(models / SFACE.name, threads=args.threads)

    def pipeline(index: int) -> object:
        frame = frames[index % len(frames)]
        faces = detector.detect(frame)
        return embedder.embed([align(frame, face.landmarks) for face in faces])

    yunet = open_session(models / YUNET.name, threads=args.threads)
    sface = open_session(models / SFACE.name, threads=args.threads)
    blobs = [Detector.letterbox(frame)[0] for frame in frames]
    face_blob = Embedder.to_blob(np.zeros((112, 112, 3), np.uint8))
    yunet_input, sface_input = yunet.get_inputs()[0].name, sface.get_inputs()[0].name

    def bare(index: int) -> object:
        yunet.run(None, {yunet_input: blobs[index % len(blobs)]})
        return sface.run(None, {sface_input: face_blob})  # one face per photo, as above

    for step in (pipeline, bare):  # warm both up
        measure(step, 1.0)
    ours, our_latency = measure(pipeline, args.seconds)
    raw, raw_latency = measure(bare, args.seconds)
    print(
        f"photos: {len(frames)} golden (one face each); threads: {args.threads}; "
        f"providers: {yunet.get_providers()[0]}"
    )
    for label, rate, latency in (
        ("bare onnxruntime (YuNet + SFace run)", raw, raw_latency),
        ("pipeline (detect, align, embed)", ours, our_latency),
    ):
        p50 = statistics.median(latency) * 1000
        print(
            f"{label:<40}{rate:7.1f} frames/s   p50 {p50:6.1f} ms"
            f"  p95 {percentile(latency, 0.95):6.1f} ms"
        )
    print(f"pipeline / bare: {100 * ours / raw:.1f} %")


if __name__ == "__main__":
    main()
