"""GraphiQL works offline: the page and every file it loads come from this server, with no URL of another host
that a browser would fetch. (The browser itself is driven in ``test_graphiql_browser.py``.)"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, Iterator
from urllib.parse import urljoin

import pytest
from starlette.testclient import TestClient

from engine.api.app import ApiSettings, create_app
from engine.core import Engine

PAGE_URL = "http://testserver/graphql"
ABSOLUTE_URL = re.compile(r"https?://[^\s\"'`<>()\\,;]*")
# Absolute URLs the vendored files contain, none of them ever requested: XML namespace names, links inside error
# and help messages, and a markdown linkifier's scheme prefix. A refreshed file with another URL fails the test
# until someone has checked what it is for (see engine/api/static/graphiql/README.md).
W3_NAMESPACES = {"http://www.w3.org/1998/Math/MathML", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1999/xlink",
                 "http://www.w3.org/2000/svg", "http://www.w3.org/XML/1998/namespace"}
INERT_URLS = {
    "graphiql.min.css": set(),
    "react.production.min.js": set(),
    "react-dom.production.min.js": W3_NAMESPACES | {"https://reactjs.org/docs/error-decoder.html?invariant="},
    "graphiql.min.js": {"http://", "http://www.w3.org/2000/svg", "https://codemirror.net/5/doc/manual.html#keymaps",
                        "https://commonmark.org/", "https://en.wikipedia.org/wiki/IEEE_floating_point",
                        "https://github.com/graphql/graphiql",
                        "https://github.com/graphql/graphiql/blob/master/examples/graphiql-cdn/index.html#L49",
                        "https://github.com/jonschlinkert", "https://github.com/jonschlinkert/is-primitive",
                        "https://github.com/jonschlinkert/isobject", "https://github.com/jonschlinkert/set-value",
                        "https://radix-ui.com/primitives/docs/components/${t.docsSlug}"},
    "start.js": set(),
}
CONTENT_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


class _References(HTMLParser):
    """Every URL-valued attribute of the page, with the tag that names it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, value) for name, value in attrs if name in ("src", "href") and value is not None]


def references(html: str) -> list[tuple[str, str]]:
    parser = _References()
    parser.feed(html)
    return parser.found


def stylesheet(html: str) -> str:
    [url] = [url for tag, url in references(html) if url.endswith(".css")]
    return url


@pytest.fixture
def graphiql(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine, ApiSettings(graphiql=True, introspection=True))) as client:
        yield client


def page(http: Any) -> Any:
    response = http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
    return response


def test_the_page_loads_only_files_from_this_server(graphiql: TestClient) -> None:
    response = page(graphiql)
    assert ABSOLUTE_URL.findall(response.text) == []
    assert "default-src 'none'" in response.headers["content-security-policy"]
    found = references(response.text)
    assert [tag for tag, _ in found] == ["link", "link", "script", "script", "script", "script"]
    assets = [urljoin(PAGE_URL, url) for tag, url in found if not url.startswith("data:")]
    assert [url.rsplit("/", 1)[1] for url in assets] == list(INERT_URLS)
    for url in assets:
        name = url.rsplit("/", 1)[1]
        assert url.startswith("http://testserver/graphiql/")
        asset = graphiql.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"] == CONTENT_TYPES[name[name.rindex("."):]]
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert set(ABSOLUTE_URL.findall(asset.text)) == INERT_URLS[name], name


def test_the_page_posts_json_to_graphql_and_offers_the_headers_tab(graphiql: TestClient) -> None:
    [script] = [url for tag, url in references(page(graphiql).text) if url.endswith("/start.js")]
    source = graphiql.get(urljoin(PAGE_URL, script)).text
    assert "GraphiQL.createFetcher({ url: window.location.pathname })" in source  # POST, JSON: graphiql's fetcher
    assert 'isHeadersEditorEnabled: true' in source and '"Authorization": "Bearer <token>"' in source
    introspection = graphiql.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert introspection.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}


def test_a_changed_or_unknown_file_name_is_not_served(graphiql: TestClient) -> None:
    tag = stylesheet(page(graphiql).text).split("/")[1]
    assert graphiql.get(f"/graphiql/{tag}/graphiql.min.css").status_code == 200
    for path in ("/graphiql/0000/graphiql.min.css", f"/graphiql/{tag}/LICENSE.react", f"/graphiql/{tag}/README.md",
                 f"/graphiql/{tag}/..%2F..%2Fgraphiql.py"):
        response = graphiql.get(path)
        assert response.status_code == 404 and response.text.lower() == "not found", path


def test_nothing_of_graphiql_is_served_when_it_is_off(engine: Engine) -> None:
    with TestClient(create_app(engine, ApiSettings(graphiql=True))) as on:
        css = stylesheet(page(on).text)
    with TestClient(create_app(engine, ApiSettings())) as off:
        assert off.get("/graphql", headers={"accept": "text/html"}).status_code == 405
        assert off.get("/" + css).status_code == 404
