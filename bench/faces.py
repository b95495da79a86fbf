"""Face pipeline throughput and latency beside bare onnxruntime, and 1:N matching beside
plain numpy, all measured in the same run on the same inputs.

- baseline: YuNet ``session.run`` on a ready 640×640 blob, then SFace ``session.run`` on
  the ready 112×112 blob of that photo's real aligned face; nothing else;
- pipeline: what the streams worker does per frame, :meth:`FaceEngine.read_jpeg`: decode
  the gate's JPEG, detect (letterbox, run, decode, NMS), quality gate, align, embed;
- parallel: the same two with ``--threads`` frames in flight (the worker's face_threads);
- 1:N: :meth:`Gallery.match` (threshold, best-vs-other-worker margin, unknown) beside
  ``argmax(matrix @ probe)`` on the same matrix, at 10k, 100k and 1M enrolled faces.

    .venv/bin/python bench/faces.py [--seconds 5] [--threads 2] [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.settings import load_settings
from streams.faces.aligner import align
from streams.faces.detector import INPUT_SIZE, Detector
from streams.faces.embedder import Embedder
from streams.faces.gallery import Gallery
from streams.faces.model_files import SFACE, YUNET, fetch
from streams.faces.pipeline import FaceEngine
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


def measure_parallel(step: Callable[[int], object], seconds: float, threads: int) -> float:
    """Frames per second with ``threads`` callers running ``step`` at once."""
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def run(slot: int) -> None:
        while time.perf_counter() < deadline:
            step(slot * 1000 + counts[slot])
            counts[slot] += 1

    workers = [threading.Thread(target=run, args=(slot,)) for slot in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - started)


def ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] * 1000


def gate_frames() -> list[npt.NDArray[np.uint8]]:
    frames = []
    for path in golden_photos().values():
        image = cv2.imread(str(path))
        if image is None:
            raise SystemExit(f"cannot read {path}")
        scale = min(1.0, INPUT_SIZE / max(image.shape[:2]))
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        frames.append(np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8))
    return frames


def bench_pipeline(models: Path, seconds: float, threads: int, provider: str) -> None:
    frames = gate_frames()
    jpegs = [
        bytes(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]) for frame in frames
    ]
    engine = FaceEngine(models, provider=provider)
    engine.ready()

    def pipeline(index: int) -> object:
        return engine.read_jpeg(jpegs[index % len(jpegs)])

    detector = Detector(models / YUNET.name, provider=provider)
    yunet = open_session(models / YUNET.name, provider=provider)
    sface = open_session(models / SFACE.name, provider=provider)
    frame_blobs = [Detector.letterbox(frame)[0] for frame in frames]
    face_blobs = [
        Embedder.to_blob(align(frame, detector.detect(frame)[0].landmarks)) for frame in frames
    ]
    yunet_input, sface_input = yunet.get_inputs()[0].name, sface.get_inputs()[0].name

    def bare(index: int) -> object:
        yunet.run(None, {yunet_input: frame_blobs[index % len(frames)]})
        return sface.run(None, {sface_input: face_blobs[index % len(frames)]})

    for step in (pipeline, bare):  # warm both up
        measure(step, 1.0)
    ours, our_latency = measure(pipeline, seconds)
    raw, raw_latency = measure(bare, seconds)
    print(
        f"frames: {len(frames)} golden photos as 640-pixel gate JPEGs, one face each;"
        f" provider: {yunet.get_providers()[0]} (asked: {provider}; pipeline on"
        f" {engine.provider})"
    )
    for label, rate, latency in (
        ("bare onnxruntime (YuNet + SFace run)", raw, raw_latency),
        ("pipeline (decode..embed), 1 thread", ours, our_latency),
    ):
        print(
            f"  {label:<40}{rate:7.1f} frames/s   p50 {ms(latency, 0.5):6.1f} ms"
            f"  p95 {ms(latency, 0.95):6.1f} ms"
        )
    print(f"  pipeline / bare: {100 * ours / raw:.1f} %")
    if threads > 1:
        raw_parallel = measure_parallel(bare, seconds, threads)
        ours_parallel = measure_parallel(pipeline, seconds, threads)
        print(f"  with {threads} frames in flight:")
        print(f"  {'bare onnxruntime':<40}{raw_parallel:7.1f} frames/s")
        print(f"  {'pipeline':<40}{ours_parallel:7.1f} frames/s")
        print(f"  pipeline / bare: {100 * ours_parallel / raw_parallel:.1f} %")


def bench_one_to_many(sizes: list[int], probes: int = 200) -> None:
    rng = np.random.default_rng(11)
    print(f"1:N, {probes} probes each (half of them enrolled faces, slightly moved):")
    for size in sizes:
        matrix = rng.standard_normal((size, 128), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        owners = [f"W{i // 2}" for i in range(size)]  # two photos per worker
        gallery = Gallery()
        loading = time.perf_counter()
        gallery.load_rows(owners, matrix)
        loaded_s = time.perf_counter() - loading
        chosen = rng.integers(0, size, probes)
        queries = matrix[chosen] + rng.normal(scale=0.02, size=(probes, 128)).astype(np.float32)
        queries[probes // 2 :] = rng.standard_normal((probes - probes // 2, 128))
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        plain = [0.0] * probes
        ours = [0.0] * probes
        for index, probe in enumerate(queries):  # interleaved: same cache state for both
            started = time.perf_counter()
            int(np.argmax(matrix @ probe))
            plain[index] = time.perf_counter() - started
            started = time.perf_counter()
            gallery.match(probe)
            ours[index] = time.perf_counter() - started
        found = sum(
            gallery.match(q).worker_id == owners[c] for q, c in zip(queries, chosen, strict=True)
        )
        print(
            f"  {size:>9,} faces  numpy argmax p50 {ms(plain, 0.5):7.2f} ms"
            f"   Gallery.match p50 {ms(ours, 0.5):7.2f} ms  p95 {ms(ours, 0.95):7.2f} ms"
            f"   ({100 * statistics.median(plain) / statistics.median(ours):.0f} % of numpy's"
            f" speed; load {loaded_s:.1f} s; {found}/{probes // 2} enrolled probes found)"
        )
        del matrix, gallery


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--provider",
        choices=["auto", "cuda", "cpu"],
        default="auto",
        help="as SITEPULSE_FACE_PROVIDER",
    )
    args = parser.parse_args()
    models = load_settings().model_dir.resolve()
    fetch(models)
    bench_pipeline(models, args.seconds, args.threads, args.provider)
    bench_one_to_many([int(size) for size in args.sizes.split(",") if size])


if __name__ == "__main__":
    main()
