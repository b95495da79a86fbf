"""Front-end files the pages use, taken from the npm registry and checked by the registry's
own integrity hash (sha512), then served from local files by the realtime service: the
pages never reach a CDN. ``sitepulse web-assets fetch`` (run by scripts/install)."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from infra.errors import StackError

REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class NpmFile:
    package: str
    version: str
    integrity: str  # the registry's "dist.integrity" of the tarball
    member: str  # the file inside the tarball
    name: str  # what it is served as

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.package}/-/{self.package}-{self.version}.tgz"


#: Apache ECharts (Apache-2.0): the charts of the dashboard pages.
ECHARTS = NpmFile(
    package="echarts",
    version="6.1.0",
    integrity="sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==",
    member="package/dist/echarts.min.js",
    name="echarts.min.js",
)
WEB_FILES = (ECHARTS,)


def _matches(data: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected


def fetch_web_assets(folder: Path, files: tuple[NpmFile, ...] = WEB_FILES) -> list[str]:
    """Download what is missing into ``folder``; returns the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for item in files:
        target = folder / item.name
        stamp = folder / f"{item.name}.integrity"
        if target.is_file() and stamp.is_file() and stamp.read_text() == item.integrity:
            continue
        try:
            with urllib.request.urlopen(item.tarball, timeout=120) as response:
                data = response.read()
        except OSError as exc:
            raise StackError(f"cannot download {item.tarball}: {exc}") from None
        if not _matches(data, item.integrity):
            raise StackError(f"{item.tarball} does not match its registry integrity hash")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = archive.extractfile(item.member)
            if member is None:
                raise StackError(f"{item.member} is not in {item.tarball}")
            content = member.read()
        partial = target.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(target)
        stamp.write_text(item.integrity)
        written.append(item.name)
    return written
