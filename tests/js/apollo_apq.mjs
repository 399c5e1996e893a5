// Apollo Client's persisted-query link, unmodified, against a running CreatorAudit API.
//
// Usage: node apollo_apq.mjs URL KEY MODE [SECOND_URL]
//   URL         the /graphql endpoint
//   KEY         an API key
//   MODE        `post` (hashes in POST bodies) or `get` (useGETForHashedQueries: true)
//   SECOND_URL  optional: the second client talks to this endpoint (another API process)
//
// A fresh client runs a query never sent before: its first request carries only the hash,
// the server answers PersistedQueryNotFound, the link resends with the text (which registers
// it) and the query gets its data. A second fresh client then gets the data from a hash-only
// request alone. Every HTTP exchange is logged by a fetch wrapper; the script prints
// `SUMMARY {json}` and exits 1 on any deviation from that sequence.
import { createHash, randomUUID } from "node:crypto";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [url, key, mode, secondUrl] = process.argv.slice(2);
if (!url || !key || !["post", "get"].includes(mode)) {
  console.error("usage: node apollo_apq.mjs URL KEY post|get [SECOND_URL]");
  process.exit(2);
}

const sha256 = (text) => createHash("sha256").update(text, "utf8").digest("hex");

// A document no earlier run registered (registrations outlive a run when they are in Redis).
const operationName = `ApqProbe_${randomUUID().replaceAll("-", "")}`;
const QUERY = gql(`
  query ${operationName} {
    viewer {
      organization {
        id
        name
      }
    }
  }
`);

const exchanges = [];

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// What went over the wire, from the fetch Apollo's HttpLink calls.
function loggingFetch(client) {
  return async (input, init = {}) => {
    const method = (init.method ?? "GET").toUpperCase();
    const requestUrl = new URL(String(input));
    let params;
    if (method === "GET") {
      params = {
        query: requestUrl.searchParams.get("query") ?? undefined,
        extensions: parseJson(requestUrl.searchParams.get("extensions") ?? "null") ?? undefined,
      };
    } else {
      params = parseJson(init.body ?? "") ?? {};
    }
    const response = await fetch(input, init);
    const text = await response.clone().text();
    const body = parseJson(text);
    exchanges.push({
      client,
      method,
      host: requestUrl.host,
      sentQuery: typeof params.query === "string",
      queryText: params.query,
      persistedQuery: params.extensions?.persistedQuery ?? null,
      status: response.status,
      contentType: response.headers.get("content-type"),
      etag: response.headers.get("etag"),
      errors: (body?.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code })),
      hasData: body?.data != null,
      bodyUnparsed: body === undefined ? text.slice(0, 300) : undefined,
    });
    return response;
  };
}

function newClient(name, uri) {
  const link = ApolloLink.from([
    new PersistedQueryLink({ sha256, useGETForHashedQueries: mode === "get" }),
    new HttpLink({ uri, fetch: loggingFetch(name), headers: { Authorization: `Bearer ${key}` } }),
  ]);
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

async function run(name, uri) {
  const client = newClient(name, uri);
  try {
    const result = await client.query({ query: QUERY, fetchPolicy: "network-only" });
    return { data: result.data ?? null, error: result.error ? String(result.error) : null };
  } catch (error) {
    return { data: null, error: String(error) };
  } finally {
    client.stop();
  }
}

const results = {
  first: await run("first", url),
  second: await run("second", secondUrl ?? url),
};

// The sequence the protocol promises.
const deviations = [];
const expect = (condition, what) => {
  if (!condition) deviations.push(what);
};
const hashMethod = mode === "get" ? "GET" : "POST";
const first = exchanges.filter((e) => e.client === "first");
const second = exchanges.filter((e) => e.client === "second");
const isNotFound = (e) =>
  e.errors.some((x) => x.message === "PersistedQueryNotFound") &&
  e.errors.some((x) => x.code === "PERSISTED_QUERY_NOT_FOUND");
const hashOf = (e) => e.persistedQuery?.sha256Hash;

expect(first.length === 2, `first client: 2 requests expected, saw ${first.length}`);
const [probe, register] = first;
if (probe) {
  expect(probe.method === hashMethod, `first request: ${hashMethod} expected, was ${probe.method}`);
  expect(!probe.sentQuery, "first request: hash only expected, the text was sent");
  expect(probe.persistedQuery?.version === 1, "first request: persistedQuery.version 1 expected");
  expect(/^[0-9a-f]{64}$/.test(hashOf(probe) ?? ""), "first request: a sha256Hash expected");
  expect(isNotFound(probe), "first request: PersistedQueryNotFound/PERSISTED_QUERY_NOT_FOUND expected");
  expect(!probe.hasData, "first request: no data expected");
}
if (register) {
  expect(register.method === "POST", `retry: POST expected, was ${register.method}`);
  expect(register.sentQuery, "retry: the query text expected");
  expect(hashOf(register) === hashOf(probe), "retry: the same hash expected");
  expect(
    register.sentQuery && sha256(register.queryText) === hashOf(register),
    "retry: the hash is the SHA-256 of the text sent",
  );
  expect(register.status === 200, `retry: HTTP 200 expected, was ${register.status}`);
  expect(register.errors.length === 0, `retry: no errors expected: ${JSON.stringify(register.errors)}`);
  expect(register.hasData, "retry: data expected");
}
expect(second.length === 1, `second client: 1 request expected, saw ${second.length}`);
const [hit] = second;
if (hit) {
  expect(hit.method === hashMethod, `second client: ${hashMethod} expected, was ${hit.method}`);
  expect(!hit.sentQuery, "second client: hash only expected, the text was sent");
  expect(hashOf(hit) === hashOf(probe), "second client: the same hash expected");
  expect(hit.status === 200, `second client: HTTP 200 expected, was ${hit.status}`);
  expect(hit.errors.length === 0, `second client: no errors expected: ${JSON.stringify(hit.errors)}`);
  expect(hit.hasData, "second client: data expected");
}
for (const [name, result] of Object.entries(results)) {
  expect(result.error === null, `${name} client: the query failed: ${result.error}`);
  expect(result.data?.viewer?.organization?.name, `${name} client: viewer.organization.name expected`);
}
expect(
  JSON.stringify(results.first.data) === JSON.stringify(results.second.data),
  "both clients: the same data expected",
);

for (const e of exchanges) {
  const { queryText, ...shown } = e;
  console.log(`${e.client.padEnd(6)} ${JSON.stringify(shown)}`);
}
for (const d of deviations) console.log(`DEVIATION ${d}`);
const summary = {
  mode,
  operationName,
  hash: hashOf(probe) ?? null,
  exchanges: exchanges.map(({ queryText, ...shown }) => shown),
  results,
  deviations,
};
console.log(`SUMMARY ${JSON.stringify(summary)}`);
process.exit(deviations.length === 0 ? 0 : 1);
