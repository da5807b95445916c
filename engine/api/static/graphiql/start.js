// Mounts GraphiQL on #graphiql. Operations go to this page's own URL (/graphql) as POST with a JSON body, which is
// what the server accepts; the Headers tab sets Authorization. Nothing is loaded from another host.
(function () {
  "use strict";
  var WELCOME = [
    "# 民生实事 GraphQL API",
    "#",
    "# Put your token in the Headers tab below:",
    '#   {"Authorization": "Bearer <token>"}',
    "# (minsheng serve --demo prints one per demo actor).",
    "# Without a token you see what the public sees.",
    "# Run: Ctrl-Enter or the play button. Docs: the book icon.",
    "",
    "query {",
    "  projects(first: 5) {",
    "    totalCount",
    "    edges { node { code title state { name } } }",
    "  }",
    "}",
    ""
  ].join("\n");
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: WELCOME,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: "headers"
  }, React.createElement(GraphiQL.Logo, null, "民生实事 GraphiQL")));
})();
