// graphql-http's GraphQL-over-HTTP server audit against a running CreatorAudit API.
//
// Usage: node audit.mjs URL KEY   (URL: the /graphql endpoint, KEY: an API key)
//
// Prints every audit result, then one line `SUMMARY {json}` with the counts per requirement
// level. Exits 1 unless every MUST and SHOULD audit is `ok`; MAY audits are reported only.
import { auditServer } from "graphql-http";

const [url, key] = process.argv.slice(2);
if (!url || !key) {
  console.error("usage: node audit.mjs URL KEY");
  process.exit(2);
}

// The audit's own requests carry no credentials: every one of them gets the API key.
function fetchWithKey(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${key}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: fetchWithKey });

const levels = ["MUST", "SHOULD", "MAY"];
const counts = Object.fromEntries(levels.map((level) => [level, { total: 0, ok: 0 }]));
const statuses = {};
const failures = [];
for (const result of results) {
  const level = result.name.split(" ")[0];
  counts[level].total += 1;
  statuses[result.status] = (statuses[result.status] ?? 0) + 1;
  if (result.status === "ok") {
    counts[level].ok += 1;
    console.log(`ok      ${result.id} ${result.name}`);
    continue;
  }
  // notice, warn (SHOULD/MAY) or error (MUST): print why, with the response that caused it.
  let body = "";
  try {
    body = await result.response.clone().text();
  } catch {
    body = "<body unreadable>";
  }
  console.log(`${result.status.padEnd(7)} ${result.id} ${result.name}`);
  console.log(`        reason: ${result.reason}`);
  console.log(`        response: ${result.response.status} ${body.slice(0, 500)}`);
  if (level !== "MAY") {
    failures.push(result.id);
  }
}

const summary = { total: results.length, statuses, ...counts, failures };
console.log(`SUMMARY ${JSON.stringify(summary)}`);
process.exit(failures.length === 0 ? 0 : 1);
