"""Offline GraphiQL page that loads React and GraphiQL from vendored static files."""

from __future__ import annotations

import html
import json
import pathlib

__all__ = ["STATIC_DIR", "STATIC_MOUNT", "render_graphiql_page"]

STATIC_DIR: pathlib.Path = pathlib.Path(__file__).resolve().parent / "static"
STATIC_MOUNT = "/graphiql-static"

_DEFAULT_QUERY = """\
# The dashboard: your organization and its TikTok accounts by followers. Press Run (▶).
# The docs (📖, top left) list every type and field.
query Dashboard {
  viewer { organization { name } apiKey { name scopes } }
  accounts(first: 20, platform: TIKTOK, orderBy: {field: FOLLOWERS, direction: DESC}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id handle followers availability lastScrapeTime
      creators { nodes { name } }
      videos(first: 3) { nodes { videoId url publishedAt views } }
    }
  }
}
"""

# The key form and the bar above GraphiQL; GraphiQL is drawn only once a key is known, so its
# first introspection already carries the key and the docs explorer works at once.
_KEY_FORM = """
<form id="api-key-form" hidden>
  <h1>CreatorAudit GraphiQL</h1>
  <label for="api-key">API key</label>
  <input id="api-key" name="api-key" type="password" autocomplete="off" placeholder="ca_…"
         required>
  <button id="api-key-submit" type="submit">Open GraphiQL</button>
  <p id="api-key-error" role="alert"></p>
  <p>Every request needs a key of your organization (<code>creatoraudit key create --org ID</code>
  prints one). It is kept in this browser's local storage until you choose another.</p>
</form>
<div id="api-key-bar" hidden>
  <span id="api-key-who"></span>
  <button id="api-key-change" type="button">Use another key</button>
</div>
"""

# Plain string (no str.format) so the JS braces need no doubling.
_SCRIPT = """
const cfg = JSON.parse(document.getElementById("graphiql-config").textContent);
const STORE = "creatoraudit:apiKey";
const $ = (id) => document.getElementById(id);
const remembered = {
  get() { try { return localStorage.getItem(STORE) || ""; } catch (e) { return ""; } },
  set(key) { try { localStorage.setItem(STORE, key); } catch (e) { /* private mode */ } },
  forget() { try { localStorage.removeItem(STORE); } catch (e) { /* private mode */ } },
};
async function post(key, params, extraHeaders) {
  const headers = {
    "Content-Type": "application/json", Accept: "application/json",
    Authorization: "Bearer " + key,
  };
  // Headers typed in GraphiQL's Headers tab win (another key, X-Request-ID), not placeholders.
  for (const [name, value] of Object.entries(extraHeaders || {})) {
    if (typeof value === "string" && !value.includes("<")) headers[name] = value;
  }
  const res = await fetch(cfg.endpoint, {
    method: "POST", headers, credentials: "same-origin", body: JSON.stringify(params),
  });
  const text = await res.text();
  try { return JSON.parse(text); }
  catch (e) { return {errors: [{message: "HTTP " + res.status + ": " + text}]}; }
}
function ask(message) {
  $("graphiql").hidden = true;
  $("api-key-bar").hidden = true;
  $("api-key-form").hidden = false;
  $("api-key-error").textContent = message || "";
  $("api-key").focus();
}
let root = null;
function open(key, organization) {
  $("api-key-form").hidden = true;
  $("api-key-bar").hidden = false;
  $("graphiql").hidden = false;
  $("api-key-who").textContent = organization + " · key " + key.slice(0, 7) + "…";
  root = root || ReactDOM.createRoot($("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      key,  // another key: a fresh GraphiQL, which introspects again with it
      fetcher: (params, opts) => post(key, params, opts && opts.headers),
      defaultQuery: cfg.defaultQuery,
      shouldPersistHeaders: true,
    })
  );
}
// Checks the key with the smallest query before GraphiQL introspects with it.
async function useKey(key) {
  const answer = await post(key, {query: "{ viewer { organization { name } } }"});
  const organization = answer.data && answer.data.viewer && answer.data.viewer.organization;
  if (!organization) {
    const error = (answer.errors && answer.errors[0]) || {};
    remembered.forget();
    ask("That key was refused: " + (error.message || "no answer") + ".");
    return;
  }
  remembered.set(key);
  open(key, organization.name);
}
$("api-key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  useKey($("api-key").value.trim());
});
$("api-key-change").addEventListener("click", () => { remembered.forget(); ask(""); });
const saved = remembered.get();
if (saved) { useKey(saved); } else { ask(""); }
"""

_STYLE = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
#graphiql { flex: 1; min-height: 0; }
#graphiql[hidden], #api-key-form[hidden], #api-key-bar[hidden] { display: none; }
#api-key-form { max-width: 34rem; margin: 12vh auto; padding: 0 1rem; }
#api-key-form input { width: 100%; box-sizing: border-box; padding: .5rem; margin: .4rem 0; }
#api-key-form button { padding: .45rem 1rem; }
#api-key-error { color: #b00020; }
#api-key-bar { display: flex; gap: 1rem; align-items: center; padding: .25rem .75rem;
  font-size: .85rem; border-bottom: 1px solid #ddd; }
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
    config = _json_for_script({"endpoint": endpoint, "defaultQuery": _DEFAULT_QUERY})
    assets = "\n    ".join(tags)
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{html.escape(title)}</title>
    <style>{_STYLE}</style>
    {assets}
  </head>
  <body>
    {_KEY_FORM}
    <div id="graphiql" hidden>Loading GraphiQL&hellip;</div>
    <script type="application/json" id="graphiql-config">{config}</script>
    <script>{_SCRIPT}</script>
  </body>
</html>
"""
