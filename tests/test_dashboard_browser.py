"""The /dashboard page in a real browser: headless Chromium (Debian's, driven by playwright) against the app under
uvicorn on a local port. The figures it shows equal the API's, a committed transition redraws them through the
projectEvents subscription, the token stays in sessionStorage (never in a URL) and nothing is loaded from another
origin. Skips, saying why, when Chromium or playwright is missing."""
from __future__ import annotations

import shutil
import threading
import time
from typing import Iterator

import httpx
import pytest

from engine.transition import TransitionRequest, fire_transition
from tests.dashboard_support import add_projects
from tests.test_serve import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
FIGURES = """{ dashboard(year: 2024) { projects planned started completed completionRate startRate
  byRegion { name } } redBlackList(year: 2024, month: 3) { lists { name entries { name } } } }"""


@pytest.fixture
def served(engine, district) -> Iterator[str]:
    import uvicorn

    from engine.api.app import ApiSettings, create_app

    add_projects(engine, district.regions["town_a"], [("completed", "in_progress", 3), ("approved", "assessed", 2)],
                 unit_id=district.units["edu"])
    add_projects(engine, district.regions["town_b"], [("in_progress", "approved", 4), ("proposed", None, 1)],
                 unit_id=district.units["housing"])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine, ApiSettings()), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def api(url: str, token: str) -> dict:
    body = httpx.post(url + "/graphql", json={"query": FIGURES}, headers={"Authorization": f"Bearer {token}"},
                      timeout=10).json()
    assert "errors" not in body, body
    return body["data"]


def shown(page, key: str) -> str:
    return page.text_content(f"#figure-{key}")


def wait_for(check, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("the page did not show it in time")


def test_the_dashboard_page_shows_the_apis_figures_and_follows_events(served, district, engine, tmp_path):
    token = district.tokens["county_office"]
    expected = api(served, token)["dashboard"]
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--proxy-server=http://127.0.0.1:{free_port()}", "--proxy-bypass-list=127.0.0.1"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(served + "/dashboard")
            page.fill("#token", token)
            page.click("#token-form button")
            page.wait_for_selector("#live[data-live=yes]", timeout=15000)
            wait_for(lambda: shown(page, "projects") == str(expected["projects"]))
            assert [shown(page, k) for k in ("projects", "planned", "started", "completed")] == [
                str(expected[k]) for k in ("projects", "planned", "started", "completed")]
            assert shown(page, "completionRate") == expected["completionRate"] + "%"
            assert shown(page, "startRate") == expected["startRate"] + "%"
            bars = page.eval_on_selector_all("#chart rect[data-rate=completionRate]",
                                             "nodes => nodes.map(n => n.getAttribute('data-region'))")
            assert bars == [r["name"] for r in expected["byRegion"]]
            assert page.evaluate("sessionStorage.getItem('minsheng.token')") == token
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

            approved = _approved_project(engine)
            fire_transition(engine, district.actor("committee"), TransitionRequest(
                approved, "terminate", {"decision_no": "平人常〔2024〕9号", "reason": "群众意见调整"}))
            after = api(served, token)["dashboard"]
            assert after["planned"] == expected["planned"] - 1
            wait_for(lambda: shown(page, "planned") == str(after["planned"]))
            assert shown(page, "completionRate") == after["completionRate"] + "%"
            assert "条" in page.text_content("#updated")
        finally:
            browser.close()
    assert requests and all(u.startswith(served) or u.startswith("data:") for u in requests), requests
    assert all(token not in u for u in requests)


def _approved_project(engine) -> int:
    from pony import orm

    from engine.storage.sql import Sql

    with orm.db_session:
        return Sql(engine.db).scalar("SELECT MIN(id) FROM project WHERE state = 'approved'")
