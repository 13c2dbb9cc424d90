"""Building the package (what `pip install .` does) prints no deprecation warning, and the wheel carries the
SPDX licence expression and the licence text."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_builds_without_deprecation_warnings(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--disable-pip-version-check"]
    built = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [*pip, "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-3000:]
    warnings = [line for line in output.splitlines() if "deprecat" in line.lower()]
    assert warnings == []
    (wheel,) = tmp_path.glob("remnastore-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode()
    assert "License-Expression: MIT" in text.splitlines()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
