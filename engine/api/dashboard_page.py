"""``GET /dashboard``: one read-only page showing the ``dashboard`` query for the caller's region — counts, rates, a
bar chart per child region (inline SVG) and the 红黑榜 — redrawn whenever ``projectEvents`` (graphql-transport-ws)
announces a change. No build step and nothing from another origin: the page's two files live in
``engine/api/static/dashboard/`` and are served at ``/dashboard/<tag>/<name>`` (``<tag>``: a hash of their bytes),
under a Content-Security-Policy that allows this origin only. The caller pastes a token, which the page keeps in
``sessionStorage`` and sends as a bearer token; it never appears in a URL. Without one, the page shows what the
public sees."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from engine.api.graphiql import CACHE_FOREVER, CONTENT_TYPES, PAGE_POLICY

STATIC_DIR = Path(__file__).parent / "static" / "dashboard"
FILES = ("dashboard.css", "dashboard.js")
POLICY = PAGE_POLICY.replace("style-src 'self' 'unsafe-inline'", "style-src 'self'")

_PAGE = """<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>民生实事 工作台</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard/{tag}/dashboard.css">
</head>
<body>
<header>
  <h1>民生实事 工作台 · <span id="region-name">…</span></h1>
  <label>地区 <select id="region"></select></label>
  <label>年度 <input id="year" type="number" min="2000" max="2100" size="5"></label>
  <form id="token-form"><input id="token" type="password" placeholder="粘贴令牌 (token)" autocomplete="off">
    <button type="submit">使用令牌</button></form>
  <button id="sign-out" type="button">退出</button>
  <span id="signed-in"></span>
</header>
<div class="status"><span id="live" data-live="no">实时更新：未连接</span> · <span id="updated"></span>
  <span id="problem" class="error"></span></div>
<main>
  <section><h2>总体情况</h2><div class="cards">
    <div class="card"><div class="label">项目数</div><div class="value" id="figure-projects">…</div></div>
    <div class="card"><div class="label">计划项目</div><div class="value" id="figure-planned">…</div></div>
    <div class="card"><div class="label">已开工</div><div class="value" id="figure-started">…</div></div>
    <div class="card"><div class="label">已完成</div><div class="value" id="figure-completed">…</div></div>
    <div class="card"><div class="label">完成率</div><div class="value" id="figure-completionRate">…</div></div>
    <div class="card"><div class="label">开工率</div><div class="value" id="figure-startRate">…</div></div>
  </div><h2>各状态项目</h2><table id="states"></table></section>
  <section><h2>各地区完成率（红）与开工率（黄）</h2><svg id="chart" xmlns="http://www.w3.org/2000/svg"
    width="100%" role="img" aria-label="各地区完成率与开工率"></svg></section>
  <section><h2>红黑榜</h2><div id="lists"></div></section>
  <section><h2>资金、满意度、整改、序时进度、督办</h2><div id="plugins"></div></section>
</main>
<script src="dashboard/{tag}/dashboard.js"></script>
</body>
</html>
"""


@lru_cache(maxsize=1)
def asset_tag() -> str:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + (STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


async def page(request: Request) -> Response:
    """The page (not cached: it names the current asset tag)."""
    return HTMLResponse(_PAGE.format(tag=asset_tag()), headers={
        "Cache-Control": "no-cache", "Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer"})


@lru_cache(maxsize=None)
def _read(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if request.path_params["tag"] != asset_tag() or name not in FILES:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(_read(name), media_type=CONTENT_TYPES[Path(name).suffix],
                    headers={"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"})


def routes() -> list[Route]:
    return [Route("/dashboard", page, methods=["GET", "HEAD"]),
            Route("/dashboard/{tag}/{name}", _asset, methods=["GET", "HEAD"])]
