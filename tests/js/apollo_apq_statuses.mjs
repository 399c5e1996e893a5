// How Apollo Client's persisted-query link reacts to each answer to a hash-only request.
//
// Usage: node apollo_apq_statuses.mjs
//
// No server: a stub fetch answers the first hash-only request of a query with a given status,
// content type and body, and answers any request carrying the text with data. For every case
// the script reports whether the link resent the text, what the query ended with, and whether
// the link still sends hashes for the next query (persisted queries not disabled). Prints one
// `CASE {json}` line per case and `SUMMARY {json}`; exits 0 (it reports, the caller asserts).
import { createHash } from "node:crypto";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const sha256 = (text) => createHash("sha256").update(text, "utf8").digest("hex");
const NOT_FOUND = JSON.stringify({
  errors: [{ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }],
});
const BODIES = {
  "json-not-found": ["application/json; charset=utf-8", NOT_FOUND],
  "graphql-response-not-found": ["application/graphql-response+json; charset=utf-8", NOT_FOUND],
  "text-plain": ["text/plain; charset=utf-8", "Not Found"],
};
const STATUSES = [200, 400, 404, 500];

async function runCase(status, bodyKind) {
  const [contentType, body] = BODIES[bodyKind];
  const requests = [];
  let answeredMiss = false;
  const stubFetch = async (input, init = {}) => {
    const params = init.body
      ? JSON.parse(init.body)
      : Object.fromEntries(new URL(String(input)).searchParams);
    const sentQuery = typeof params.query === "string";
    requests.push({ method: init.method ?? "GET", sentQuery });
    if (!sentQuery && !answeredMiss) {
      answeredMiss = true;
      return new Response(body, { status, headers: { "content-type": contentType } });
    }
    if (!sentQuery) {
      // Hash-only again (the next query): found.
      return Response.json({ data: { a: 1, b: 1 } });
    }
    return Response.json({ data: { a: 1, b: 1 } });
  };
  const link = ApolloLink.from([
    new PersistedQueryLink({ sha256 }),
    new HttpLink({ uri: "http://stub.invalid/graphql", fetch: stubFetch }),
  ]);
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  let outcome;
  try {
    const result = await client.query({ query: gql("query A { a }"), fetchPolicy: "network-only" });
    outcome = result.error ? `error: ${result.error}` : "data";
  } catch (error) {
    outcome = `error: ${error.name}: ${error.message}`;
  }
  const firstQueryRequests = requests.length;
  await client.query({ query: gql("query B { b }"), fetchPolicy: "network-only" }).catch(() => null);
  client.stop();
  const next = requests[firstQueryRequests];
  return {
    status,
    body: bodyKind,
    resentWithText: firstQueryRequests === 2 && requests[1].sentQuery,
    outcome,
    laterQueriesHashOnly: next ? !next.sentQuery : null,
  };
}

const cases = [];
for (const status of STATUSES) {
  for (const bodyKind of Object.keys(BODIES)) {
    const result = await runCase(status, bodyKind);
    cases.push(result);
    console.log(`CASE ${JSON.stringify(result)}`);
  }
}
console.log(`SUMMARY ${JSON.stringify({ cases })}`);
