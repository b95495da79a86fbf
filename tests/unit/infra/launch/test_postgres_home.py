from __future__ import annotations

import tempfile
from pathlib import Path

from infra.launch.servers import EXTERNAL_POSTGRES_ROOT, postgres_home
from infra.settings import load_settings


def test_postgres_stays_in_the_data_dir_when_it_can_reach_it() -> None:
    # pytest's tmp_path lies under a 0700 folder, so use the world-enterable /var/tmp.
    with tempfile.TemporaryDirectory(dir="/var/tmp") as folder:
        data_dir = Path(folder) / "open"
        data_dir.mkdir(mode=0o755)
        Path(folder).chmod(0o755)
        settings = load_settings({"SITEPULSE_DATA_DIR": str(data_dir)})
        assert postgres_home(settings, "postgres") == data_dir / "postgres"
        assert postgres_home(settings, None) == data_dir / "postgres"


def test_postgres_moves_out_when_its_user_cannot_enter_the_data_dir(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    settings = load_settings({"SITEPULSE_DATA_DIR": str(closed / "data")})
    home = postgres_home(settings, "postgres")
    assert home.parent == EXTERNAL_POSTGRES_ROOT
    assert home == postgres_home(settings, "postgres")  # stable across runs
    # The server's own user needs no move.
    assert postgres_home(settings, None) == closed / "data" / "postgres"
