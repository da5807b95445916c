"""``minsheng plugin new NAME``: the skeleton installs with pip (into a folder of its own, so this environment is
left alone) and its own test passes as generated."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from tests.test_example_plugin import OFFLINE, _builds_without_isolation


def _run(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env, cwd=cwd)


def test_the_skeleton_installs_with_pip_and_passes_its_own_test(tmp_path: Path, capsys) -> None:
    assert main(["plugin", "new", "road_notes", "--dir", str(tmp_path)]) == 0
    folder = tmp_path / "minsheng-road-notes"
    assert capsys.readouterr().out.strip() == f"wrote {folder}: pip install -e {folder} && pytest {folder}"
    isolated = not _builds_without_isolation()
    site = tmp_path / "site"
    result = _run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-cache-dir", "--target", str(site),
                  *([] if isolated else ["--no-build-isolation"]), str(folder))
    if result.returncode != 0 and isolated and any(sign in result.stdout + result.stderr for sign in OFFLINE):
        pytest.skip("cannot build the skeleton: this environment lacks setuptools>=70.1 and pip cannot download it")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site)}
    found = _run(sys.executable, "-c", "import importlib.metadata as m; "
                 "print([e.value for e in m.entry_points(group='minsheng') if e.name == 'road_notes'])", env=env)
    assert found.stdout.strip() == "['minsheng_road_notes']", found.stderr  # the engine finds it by entry point
    tests = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "tests"), env=env,
                 cwd=folder)
    assert tests.returncode == 0 and "1 passed" in tests.stdout, tests.stdout[-3000:] + tests.stderr[-2000:]


@pytest.mark.parametrize("name, message", [
    ("Road", "plugin name 'Road' must be 2–30 characters of a-z, 0-9 and _, starting with a letter"),
    ("9road", "plugin name '9road' must be 2–30 characters of a-z, 0-9 and _, starting with a letter"),
    ("funding", "plugin name 'funding' is taken by a built-in plugin; choose another"),
])
def test_a_bad_name_is_one_line_and_exit_2(tmp_path: Path, capsys, name: str, message: str) -> None:
    assert main(["plugin", "new", name, "--dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_left_alone(tmp_path: Path, capsys) -> None:
    (tmp_path / "minsheng-roads").mkdir()
    assert main(["plugin", "new", "roads", "--dir", str(tmp_path)]) == 2
    folder = tmp_path / "minsheng-roads"
    assert capsys.readouterr().err == f"error: {folder} already exists; choose another name or --dir\n"
    assert list((tmp_path / "minsheng-roads").iterdir()) == []
