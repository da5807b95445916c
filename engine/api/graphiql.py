"""GraphiQL without a CDN: our own page, and the vendored browser files it loads from this server.

The files live in ``engine/api/static/graphiql/`` (see the README there for versions and how to refresh them) and
are served at ``/graphiql/<tag>/<name>``, where ``<tag>`` is a hash of their contents: a browser may keep them for
a year, and a new release changes the URL. The page refers to them by relative URLs and its Content-Security-Policy
lets the browser load nothing from another origin.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

STATIC_DIR = Path(__file__).parent / "static" / "graphiql"
ROUTE_PREFIX = "/graphiql"
# What the page loads, in order, with the content type each is served with.
STYLESHEETS = ("graphiql.min.css",)
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "start.js")
CONTENT_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
CACHE_FOREVER = "public, max-age=31536000, immutable"
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
               "frame-ancestors 'none'")

_PAGE = """<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minsheng GraphiQL</title>
<link rel="icon" href="data:,">
<style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
{stylesheets}
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
{scripts}
</body>
</html>
"""


@lru_cache(maxsize=1)
def asset_tag() -> str:
    """A short hash of every served file's name and bytes: it changes whenever any of them changes."""
    digest = hashlib.sha256()
    for name in (*STYLESHEETS, *SCRIPTS):
        digest.update(name.encode() + b"\0" + (STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


def page_html() -> str:
    """The GraphiQL page; its asset URLs are relative to ``/graphql``, so it also works behind a path prefix."""
    base = f"{ROUTE_PREFIX.lstrip('/')}/{asset_tag()}"
    return _PAGE.format(
        stylesheets="\n".join(f'<link rel="stylesheet" href="{base}/{name}">' for name in STYLESHEETS),
        scripts="\n".join(f'<script src="{base}/{name}"></script>' for name in SCRIPTS))


def page_response() -> Response:
    """The page, not cached (it names the current asset tag), under a policy that allows this origin only."""
    return HTMLResponse(page_html(), headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_POLICY,
                                              "X-Content-Type-Options": "nosniff"})


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if request.path_params["tag"] != asset_tag() or name not in (*STYLESHEETS, *SCRIPTS):
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(_read(name), media_type=CONTENT_TYPES[Path(name).suffix],
                    headers={"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"})


@lru_cache(maxsize=None)
def _read(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


def asset_routes() -> list[Route]:
    """The route serving the page's files (only mounted when GraphiQL is enabled)."""
    return [Route(ROUTE_PREFIX + "/{tag}/{name}", _asset, methods=["GET", "HEAD"])]
