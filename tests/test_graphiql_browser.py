"""GraphiQL renders in a real browser with no network beyond the server: headless Chromium against
``minsheng serve --demo``, every other host unreachable (names do not resolve, and any other connection goes to a
proxy that is not there). Skips when Chromium is not installed (``.ci/run`` installs Debian's ``chromium``)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_serve import Server, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
ACCESS_LINE = re.compile(r'"(GET|POST) (\S+) HTTP/1\.1" (\d+)')


def offline_chromium(url: str, profile: Path, *action: str) -> subprocess.CompletedProcess:
    """Run headless Chromium on ``url`` for up to 15 s of page time, reaching 127.0.0.1 only."""
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--proxy-server=http://127.0.0.1:{free_port()}",
         "--window-size=1400,900", "--virtual-time-budget=15000", *action, url],
        capture_output=True, text=True, timeout=120)


def test_graphiql_renders_from_local_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINSHENG_ACCESS_LOG", "1")
    server = Server(["--demo"], tmp_path)
    try:
        server.wait_ready()
        done = offline_chromium(server.url + "/graphql", tmp_path / "profile", "--dump-dom")
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert 'class="graphiql-container"' in dom and 'class="graphiql-query-editor"' in dom
    assert "CodeMirror" in dom and "民生实事 GraphiQL" in dom and "totalCount" in dom  # our start.js mounted it
    assert set(re.findall(r"https?://[^\s\"'<>]*", dom)) <= {"http://www.w3.org/2000/svg"}
    requests = [r for r in ACCESS_LINE.findall(server.out.read_text(encoding="utf-8")) if r[1] != "/healthz"]
    assert requests[0] == ("GET", "/graphql", "200")
    assert [(m, p.rsplit("/", 1)[1], s) for m, p, s in requests[1:6]] == [
        ("GET", name, "200") for name in ("graphiql.min.css", "react.production.min.js",
                                          "react-dom.production.min.js", "graphiql.min.js", "start.js")]
    assert ("POST", "/graphql", "200") in requests[6:]  # GraphiQL fetched the schema through its JSON fetcher
    assert all(status == "200" for _, _, status in requests)
