"""Offline GraphiQL page that loads React and GraphiQL from vendored static files."""

from __future__ import annotations

import html
import json
import pathlib

__all__ = ["STATIC_DIR", "STATIC_MOUNT", "render_graphiql_page"]

STATIC_DIR: pathlib.Path = pathlib.Path(__file__).resolve().parent / "static"
STATIC_MOUNT = "/graphiql-static"

_DEFAULT_HEADERS = '{\n  "Authorization": "Bearer <paste your API key>"\n}'
_DEFAULT_QUERY = """\
# Paste your API key under Headers below, then press Run.
query Viewer {
  viewer {
    organization {
      name
    }
    apiKey {
      name
      scopes
    }
  }
}
"""

# Plain string (no str.format) so the JS braces need no doubling.
_SCRIPT = """
const cfg = JSON.parse(document.getElementById("graphiql-config").textContent);
// The first schema introspection runs before the Headers editor exists, so it gets no
// headers: fall back to the active tab's persisted headers (the saved API key).
function savedHeaders() {
  try {
    const s = JSON.parse(localStorage.getItem("graphiql:tabState"));
    return JSON.parse(s.tabs[s.activeTabIndex].headers) || {};
  } catch (e) { return {}; }
}
async function fetcher(params, opts) {
  const headers = {"Content-Type": "application/json", Accept: "application/json"};
  Object.assign(headers, (opts && opts.headers) || savedHeaders());
  const res = await fetch(cfg.endpoint, {
    method: "POST", headers, credentials: "same-origin", body: JSON.stringify(params),
  });
  const text = await res.text();
  try { return JSON.parse(text); }
  catch (e) { return {errors: [{message: "HTTP " + res.status + ": " + text}]}; }
}
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: cfg.defaultQuery,
    defaultHeaders: cfg.defaultHeaders,
    shouldPersistHeaders: true,
    defaultEditorToolsVisibility: "headers",
  })
);
"""

# (sub-path under the static prefix, kind) in load order; React must precede GraphiQL.
_ASSETS: tuple[tuple[str, str], ...] = (
    ("graphiql/graphiql.min.css", "css"),
    ("react/react.production.min.js", "js"),
    ("react-dom/react-dom.production.min.js", "js"),
    ("graphiql/graphiql.min.js", "js"),
)


def _json_for_script(value: object) -> str:
    """Serialise ``value`` as JSON that cannot close or confuse an HTML <script> element."""
    text = json.dumps(value)
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def render_graphiql_page(
    *,
    endpoint: str = "/graphql",
    static_prefix: str = STATIC_MOUNT,
    title: str = "CreatorAudit GraphiQL",
) -> str:
    """Return the HTML of a GraphiQL page that POSTs to ``endpoint`` and loads only local assets."""
    prefix = static_prefix.rstrip("/")
    tags: list[str] = []
    for sub_path, kind in _ASSETS:
        url = html.escape(f"{prefix}/{sub_path}", quote=True)
        if kind == "css":
            tags.append(f'<link rel="stylesheet" href="{url}">')
        else:
            tags.append(f'<script src="{url}"></script>')
    config = _json_for_script(
        {"endpoint": endpoint, "defaultQuery": _DEFAULT_QUERY, "defaultHeaders": _DEFAULT_HEADERS}
    )
    assets = "\n    ".join(tags)
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{html.escape(title)}</title>
    <style>html, body, #graphiql {{ height: 100%; margin: 0; overflow: hidden; }}</style>
    {assets}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL&hellip;</div>
    <script type="application/json" id="graphiql-config">{config}</script>
    <script>{_SCRIPT}</script>
  </body>
</html>
"""
