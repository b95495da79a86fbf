from __future__ import annotations

from pathlib import Path

from infra.servers import EXTERNAL_POSTGRES_ROOT, postgres_home
from infra.settings import load_settings


def test_postgres_stays_in_the_data_dir_when_it_can_reach_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "open"
    data_dir.mkdir()
    for folder in (tmp_path, data_dir):
        folder.chmod(0o755)
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
