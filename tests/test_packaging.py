"""A plain `pip install .` works outside the checkout: the wheel carries the schema files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_the_sql_files_and_the_console_script(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("brainloop-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for schema in sorted((ROOT / "sql").glob("*.sql")):
        assert f"brainloop_tui/sql/{schema.name}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "brainloop = brainloop_tui.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
