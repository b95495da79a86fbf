"""Finds the Debian-packaged servers, installing missing packages when running as root."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from infra.errors import MissingDependencyError

# program -> the Debian package that ships it
PROGRAMS = {
    "clickhouse-server": "clickhouse-server",
    "redis-server": "redis-server",
    "postgres": "postgresql",
}


def postgres_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that holds a server."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    return Path(candidates[-1]).parent if candidates else None


def find_program(program: str) -> Path | None:
    if program == "postgres":
        bin_dir = postgres_bin_dir()
        return bin_dir / "postgres" if bin_dir else None
    found = shutil.which(program) or next(
        (p for p in (f"/usr/sbin/{program}", f"/usr/bin/{program}") if os.path.exists(p)), None
    )
    return Path(found) if found else None


def missing_packages() -> list[str]:
    return sorted({PROGRAMS[p] for p in PROGRAMS if find_program(p) is None})


def ensure_packages(*, allow_install: bool = True) -> list[str]:
    """Install missing server packages when root; else say exactly what to install."""
    missing = missing_packages()
    if not missing:
        return []
    command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if os.geteuid() != 0 or not allow_install:
        raise MissingDependencyError(
            "missing Debian packages: "
            + " ".join(missing)
            + "\ninstall them with: sudo apt-get update && sudo "
            + " ".join(command)
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(command, check=True, env=env)
    still = missing_packages()
    if still:
        raise MissingDependencyError("installed but still missing: " + " ".join(still))
    return missing
