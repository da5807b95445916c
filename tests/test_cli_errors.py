"""Failures of the `minsheng` command: exactly one `error:` line on stderr, exit status 2, no traceback (unless
asked for with --debug or MINSHENG_DEBUG=1)."""
from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from engine.cli import main
from tests.test_serve import free_port

HINT = "rerun with --debug (or MINSHENG_DEBUG=1) to see the traceback"


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``minsheng ARGV`` expecting exit 2 with nothing on stdout; return stderr."""
    assert main(list(argv)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    return err


def run(*code_and_args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *code_and_args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_version_comes_from_the_package_metadata(tmp_path: Path) -> None:
    done = run("-m", "engine.cli", "--version", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"minsheng {metadata.version('minsheng')}\n", "")


def test_a_duplicate_region_or_unit_code_names_the_code(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["region", "add", "county", "平安县", "--level", "county", "--db", db_url]) == 0
    assert main(["region", "unit", "edu", "县教育局", "--region", "county", "--db", db_url]) == 0
    capsys.readouterr()
    assert fails(capsys, "region", "add", "county", "又一县", "--level", "county", "--db", db_url) == (
        "error: code: a region with code 'county' already exists\n")
    assert fails(capsys, "region", "unit", "edu", "又一局", "--region", "county", "--db", db_url) == (
        "error: code: a unit with code 'edu' already exists\n")
    assert main(["region", "unit", "edu2", "县教育局二", "--region", "county", "--db", db_url]) == 0
    assert capsys.readouterr().out == "unit edu2 (id 2) added\n"  # the refused writes left nothing behind


def test_an_unreachable_database_is_named_without_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql://clerk:s3cret@127.0.0.1:{port}/minsheng"
    assert fails(capsys, "db", "upgrade", "--db", url) == (
        f"error: cannot use the database postgresql://clerk:***@127.0.0.1:{port}/minsheng: connection to server at "
        f'"127.0.0.1", port {port} failed: Connection refused\n')


def test_a_missing_postgresql_driver_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['psycopg2'] = None; from engine.cli import main; "
            "sys.exit(main(['db', 'status', '--db', 'postgresql://postgres@127.0.0.1:5432/x']))")
    done = run("-c", code, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "error: PostgreSQL needs the psycopg2 driver: pip install 'minsheng[postgres]'\n"


def test_an_unwritable_schema_output_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-folder" / "schema.graphql"
    assert fails(capsys, "schema", "export", "--output", str(target)) == (
        f"error: cannot write the schema to {target}: No such file or directory\n")


def test_a_bad_workflow_file_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert fails(capsys, "workflow", "check", str(missing), str(tmp_path)) == (
        f"error: no such workflow file: {missing}, {tmp_path}\n")


def test_a_bad_database_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert fails(capsys, "audit", "verify", "--db", "mysql://host/db") == (
        "error: database URL 'mysql://host/db': unsupported scheme 'mysql' (use sqlite:/// or postgresql://)\n")


def test_db_status_reports_a_missing_database_without_creating_it(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    assert fails(capsys, "db", "status", "--db", url) == (
        f"error: the database {url} does not exist (minsheng db upgrade creates it)\n")
    assert list(tmp_path.iterdir()) == []


def test_an_unexpected_failure_is_one_line_unless_debugging(db_url: str, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("engine.directory.management.create_region", broken)
    line = f"error: unexpected ZeroDivisionError: division by zero ({HINT})\n"
    assert fails(capsys, "region", "add", "c", "县", "--level", "county", "--db", db_url) == line
    err = fails(capsys, "--debug", "region", "add", "c", "县", "--level", "county", "--db", db_url)
    assert err.startswith("Traceback (most recent call last):\n") and 'in broken\n' in err and err.endswith(line)
    monkeypatch.setenv("MINSHENG_DEBUG", "1")
    assert fails(capsys, "region", "add", "c", "县", "--level", "county", "--db", db_url).startswith("Traceback")
