// Property-based fuzzing of every endpoint: no input may answer 5xx. The endpoint list is the
// app's route table (a new route is fuzzed without editing this file); what each one takes (path
// and query parameters, JSON body) comes from GET /api/openapi.json. Each request mixes values
// the schema accepts (to get past validation into the handlers and the database) with hostile
// ones: wrong types, huge numbers, ids past 2^63-1, impossible dates, NUL, lone surrogates,
// malformed percent-encoding, empty bodies, arrays, garbage that is not JSON. Seeded: a failure
// prints its seed and path, and reruns the same (shrunk to a small failing input).
//
// 1,000 generated requests per endpoint (the issue's floor; FUZZ_RUNS changes it), each through the
// real Worker fetch handler in-process (no HTTP hop, but the app's own per-request database pool,
// withTenant, validation and handlers). What keeps it inside CI's budget: one fast-check run is a
// batch of FUZZ_CONCURRENCY (8) requests sent at once, so database round trips overlap (numRuns =
// runs / 8; a failing batch is shrunk like any value); the query and extraction rate limits are
// debited only after validation, so a malformed request costs no transaction; a 429 from the rate
// limiter is refilled and the same input resent, so every input reaches validation and the handler;
// the OpenAPI document is built once per isolate. Batches stay inside one test, so every request
// shares that test's I/O context.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { withTenant, type PoolLike } from "../../src/db/client";
import { seedServer, withPool } from "../analytics/helpers";
import { call, CLERK_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET, testPool, uniqueId } from "../accounts/helpers";

// FUZZ_SEED=... FUZZ_RUNS=... in the environment rerun a failure or go longer (or shorter).
// (vitest.config.ts passes them to the Worker's bindings).
const fromEnv = env as unknown as Record<string, string | undefined>;
const SEED = Number(fromEnv.FUZZ_SEED ?? 20261202);
const RUNS = Number(fromEnv.FUZZ_RUNS ?? 1000);
const CONCURRENCY = Math.max(1, Number(fromEnv.FUZZ_CONCURRENCY ?? 8));

type Json = Record<string, any>;
type Endpoint = { method: string; path: string; op?: Json };

const TENANT = uniqueId("fuzz");
const E: Record<string, unknown> = {
  ...env,
  LOCAL_TENANT_ID: TENANT,
  CLERK_WEBHOOK_SECRET,
  STRIPE_WEBHOOK_SECRET,
  STRIPE_SECRET_KEY: "sk_test_standin",
  STRIPE_PRICE_PRO: "price_pro",
  STRIPE_PRICE_TEAM: "price_team",
};

// ---------------------------------------------------------------- the endpoints

const doc = (await (await call("/api/openapi.json", { env: E })).json()) as Json;
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
/** Every route of the app: Hono's table (OpenAPI and plain routes alike), joined with its OpenAPI operation. */
const endpoints: Endpoint[] = [
  ...new Map(
    createApp()
      .routes.filter((r) => METHODS.has(r.method) && !r.path.includes("*"))
      .map((r) => {
        const path = r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
        return [`${r.method} ${path}`, { method: r.method, path, op: doc.paths?.[path]?.[r.method.toLowerCase()] }] as const;
      }),
  ).values(),
];

// ---------------------------------------------------------------- values

let known = { serverId: "1", userIds: ["1"], channelIds: ["1"] };
/** Values of parameters whose rule a JSON schema cannot state (a refine): without them almost no request gets past validation. */
const NAMED: Record<string, () => fc.Arbitrary<unknown>> = {
  tz: () => fc.constantFrom("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "Etc/GMT+12"),
  // Statements the guard accepts (so tenant SQL runs), beside whatever else the string generators make.
  sql: () =>
    fc.oneof(
      fc.constantFrom(
        "SELECT count(*) FROM messages",
        "SELECT author_id, count(*) AS n FROM messages GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
        "SELECT * FROM channels",
        "SELECT $1::text AS a, $2::int AS b",
        "SELECT day, messages FROM daily_stats ORDER BY day",
        "WITH r AS (SELECT * FROM user_interactions) SELECT count(*) FROM r",
      ),
      fc.string({ maxLength: 40 }),
    ),
  params: () => fc.constantFrom<unknown[]>([], [], ["a", 7]),
  channels: () =>
    fc
      .array(fc.oneof(fc.constantFrom(...known.channelIds), fc.bigInt(1n, 2n ** 63n - 1n).map(String)), { minLength: 1, maxLength: 3 })
      .map((a) => a.join(",")),
};

const EDGE_STRINGS = [
  "",
  " ",
  "0",
  "1",
  "-1",
  "01",
  "+1",
  "1.5",
  "0x1F",
  "1e3",
  "1e308",
  "-1e308",
  "NaN",
  "Infinity",
  "-0",
  "9223372036854775807",
  "9223372036854775808",
  "18446744073709551615",
  "99999999999999999999",
  "123456789012345678901",
  "2147483647",
  "2147483648",
  "4294967296",
  "0000-01-01",
  "0001-01-01",
  "2014-12-31",
  "2015-01-01",
  "2026-02-29",
  "2026-02-30",
  "2026-13-45",
  "9999-12-31",
  "10000-01-01",
  "2026-11-30",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59Z",
  "2026-11-30T12:00:00+14:00",
  "2026-11-30T12:00:00",
  "yesterday",
  "00000000-0000-0000-0000-000000000000",
  "7b0e5b8e-2f4b-4f51-9a39-6f1c1f0d6b9e",
  "true",
  "false",
  "null",
  "undefined",
  "[]",
  "{}",
  "pro",
  "team",
  "free",
  "reply",
  "csv",
  "json",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "a\udc00b",
  "\udbff\udfff",
  "\u202e",
  "😀",
  "\ufeff",
  "SELECT 1",
  "SELECT 'A\ud800\u0800' AS x",
  "'; DROP TABLE messages; --",
  '=HYPERLINK("http://evil.example","x")',
  "1,2,3",
  "1,,2",
  ",",
  "%",
  "../..",
  "a".repeat(300),
  "9".repeat(5000),
];

/** Any string: edge cases, any UTF-16 code units (NUL, lone surrogates), digits of any size. */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...EDGE_STRINGS), weight: 4 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 2 },
  {
    arbitrary: fc.string({
      unit: fc.constantFrom("\u0000", "\ud800", "\udfff", "'", '"', "\\", "%", ",", "-", "=", "1", "9", "a", " "),
      maxLength: 30,
    }),
    weight: 2,
  },
  { arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String), weight: 2 },
  { arbitrary: fc.double().map(String), weight: 1 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }), weight: 1 },
);

/** A number written into JSON text as is (1e999 parses to Infinity, 30 digits lose precision). */
class RawNumber {
  constructor(readonly text: string) {}
}
const rawNumber = fc
  .oneof(
    fc.constantFrom("1e999", "-1e999", "9223372036854775808", "123456789012345678901234567890", "-0", "1e-999", "0.1e1"),
    fc.bigInt({ min: -(2n ** 90n), max: 2n ** 90n }).map(String),
  )
  .map((t) => new RawNumber(t));

const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
  { arbitrary: rawNumber, weight: 1 },
  { arbitrary: fc.constantFrom(null, true, false, 0, -1, 2 ** 31, 2 ** 53, Number.MAX_VALUE), weight: 1 },
);
const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileLeaf,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("v"), { maxKeys: 4 }),
  ),
})).v;

function serialize(v: unknown): string {
  if (v instanceof RawNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(serialize).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${serialize(x)}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

const deref = (s: Json | undefined): Json => (s?.$ref ? doc.components.schemas[String(s.$ref).split("/").pop()!] : (s ?? {}));

/** Values a JSON schema accepts (roughly: patterns and formats are honoured, ids lean on seeded ones). */
function validFor(schema0: Json | undefined, name?: string): fc.Arbitrary<unknown> {
  if (name && NAMED[name]) return NAMED[name]();
  const schema = deref(schema0);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) return fc.oneof(...alts.map(validFor));
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
  switch (type) {
    case "string":
      if (schema.format === "date")
        return fc
          .date({ min: new Date("2015-01-01"), max: new Date("2030-12-31"), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10));
      if (schema.format === "date-time")
        return fc.date({ min: new Date("2015-01-01"), max: new Date("2030-12-31"), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.format === "uuid") return fc.uuid();
      if (schema.pattern === "^[1-9][0-9]{0,18}$") {
        return fc.oneof(fc.constantFrom(known.serverId, ...known.userIds), fc.bigInt(1n, 2n ** 63n - 1n).map(String));
      }
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern), { maxLength: Math.min(schema.maxLength ?? 40, 40) });
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
    case "integer":
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -(2 ** 31)), max: Math.min(schema.maximum ?? 1000, 2 ** 31 - 1) });
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(validFor(schema.items), { maxLength: 4 });
    case "object": {
      const props = Object.entries((schema.properties ?? {}) as Json);
      return fc.record(Object.fromEntries(props.map(([k, v]) => [k, validFor(v, k)])), { requiredKeys: schema.required ?? [] });
    }
    default:
      return hostileLeaf;
  }
}

/** Mostly what the schema accepts (so the request gets past validation), sometimes anything. */
const valueFor = (schema: Json | undefined, name?: string) =>
  fc.oneof({ arbitrary: validFor(schema, name), weight: 3 }, { arbitrary: hostileLeaf, weight: 1 });

// ---------------------------------------------------------------- requests

/** A URL component: usually text (percent-encoded as UTF-8), sometimes raw malformed escapes. */
type Part = { raw: string } | { text: string };
const partArb = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<Part> =>
  fc.oneof(
    { arbitrary: valid.map((v) => ({ text: typeof v === "string" ? v : serialize(v) })), weight: 4 },
    { arbitrary: hostileString.map((text) => ({ text })), weight: 2 },
    {
      arbitrary: fc.constantFrom("%", "%zz", "%FF", "%ED%A0%80", "%00", "%C0%80", "%E2%82", "%2F..%2F", "a%20b").map((raw) => ({ raw })),
      weight: 1,
    },
  );
// TextEncoder turns a lone surrogate into U+FFFD: a URL can only carry UTF-8 (raw parts carry the rest).
const encodePart = (p: Part) =>
  "raw" in p
    ? p.raw
    : [...new TextEncoder().encode(p.text)]
        .map((b) =>
          /[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
        )
        .join("");

interface Req {
  path: Part[];
  query: [string, Part][];
  body: string | undefined;
  contentType: string | undefined;
  headers: [string, string][];
}

const WEBHOOK_HEADERS = ["svix-id", "svix-timestamp", "svix-signature", "stripe-signature"];

function requestArb(ep: Endpoint): fc.Arbitrary<Req> {
  const params = ((ep.op?.parameters ?? []) as Json[]).map((p): Json => ({ ...p, schema: deref(p.schema) }));
  const pathNames = [...ep.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const path = fc.tuple(
    ...pathNames.map((n) => partArb(validFor(params.find((p) => p.in === "path" && p.name === n)?.schema, n))),
  ) as fc.Arbitrary<Part[]>;
  const declared = params.filter((p) => p.in === "query");
  const query = fc
    .tuple(
      fc.tuple(
        ...declared.map((p) =>
          fc.option(
            partArb(valueFor(p.schema, p.name)).map((v) => [p.name, v] as [string, Part]),
            { freq: 3 },
          ),
        ),
      ),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...declared.map((p) => p.name as string), "x"), hostileString), partArb(hostileLeaf)), {
        maxLength: 3,
      }),
    )
    .map(([d, extra]) => [...(d.filter(Boolean) as [string, Part][]), ...extra]);
  const bodySchema = ep.op?.requestBody?.content?.["application/json"]?.schema;
  const props = Object.entries((deref(bodySchema).properties ?? {}) as Json);
  const body: fc.Arbitrary<string | undefined> = fc.oneof(
    // The schema's fields, each valid, hostile or missing, plus stray keys.
    {
      arbitrary: fc.record(Object.fromEntries(props.map(([k, v]) => [k, valueFor(v, k)])), { requiredKeys: [] }).map(serialize),
      weight: props.length ? 4 : 0,
    },
    { arbitrary: hostileJson.map(serialize), weight: 2 },
    {
      arbitrary: fc.constantFrom(
        undefined,
        "",
        "{",
        "null",
        "[]",
        "\u0000",
        '{"a":1}{"b":2}',
        '{"__proto__":{"x":1}}',
        "\ufeff{}",
        "x".repeat(70_000),
      ),
      weight: 1,
    },
    { arbitrary: fc.string({ unit: "binary", maxLength: 60 }), weight: 1 },
  );
  // Form types only where a validator might parse them (the OpenAPI routes); webhooks read raw text.
  const contentType = fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    undefined,
    "text/plain",
    ...(ep.op ? ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] : []),
  );
  const headers = ep.op
    ? fc.constant([] as [string, string][])
    : fc.array(
        fc.tuple(
          fc.constantFrom(...WEBHOOK_HEADERS),
          hostileString.map((s) => s.replace(/[^\x20-\x7e]/g, "")),
        ),
        { maxLength: 4 },
      );
  const hostile = fc.record({ path, query, body, contentType, headers });
  // Half the requests are wholly what the schema accepts, so they pass validation and reach the
  // handler and the database (mixing a hostile value into each field would stop nearly every one
  // at the first field); the other half mix valid, hostile and malformed parts as above.
  const text = (v: unknown) => ({ text: typeof v === "string" ? v : serialize(v) });
  const valid = fc.record({
    path: fc.tuple(...pathNames.map((n) => validFor(params.find((p) => p.in === "path" && p.name === n)?.schema, n).map(text))),
    query: fc
      .tuple(
        ...declared.map((p) =>
          p.required
            ? validFor(p.schema, p.name).map((v) => [p.name, text(v)] as [string, Part])
            : fc.option(
                validFor(p.schema, p.name).map((v) => [p.name, text(v)] as [string, Part]),
                { freq: 2 },
              ),
        ),
      )
      .map((q) => q.filter(Boolean) as [string, Part][]),
    body: bodySchema ? validFor(bodySchema).map(serialize) : fc.constant(undefined),
    contentType: fc.constant(bodySchema ? "application/json" : undefined),
    headers,
  }) as fc.Arbitrary<Req>;
  return fc.oneof(valid, hostile);
}

function toRequest(ep: Endpoint, r: Req): { path: string; init: RequestInit } {
  let i = 0;
  const path = ep.path.replace(/\{[^}]+\}/g, () => encodePart(r.path[i++]));
  const qs = r.query.map(([k, v]) => `${encodePart({ text: k })}=${encodePart(v)}`).join("&");
  const headers = new Headers(r.headers);
  if (r.contentType) headers.set("content-type", r.contentType);
  const body = ep.method === "GET" ? undefined : r.body;
  return { path: `${path}${qs ? `?${qs}` : ""}`, init: { method: ep.method, headers, body } };
}

// ---------------------------------------------------------------- the run

let pool: PoolLike;
const timings: string[] = [];

beforeAll(async () => {
  pool = testPool();
  const seeded = await withPool((p) => seedServer(p, TENANT, "fuzz", 7));
  const channels = await withTenant(pool, TENANT, (tx) => tx.query<{ id: string }>("SELECT id::text AS id FROM channels"));
  known = { serverId: seeded.serverId, userIds: seeded.userIds, channelIds: channels.rows.map((r) => r.id) };
});
afterAll(async () => {
  console.log(`fuzz (seed ${SEED}, ${RUNS} requests per endpoint, ${(env as Json).TEST_DATABASE_KIND}):\n${timings.join("\n")}`);
  await pool.end();
});

describe("fuzz: no input answers 5xx", () => {
  it("covers every route of the app, documented or not", () => {
    const names = endpoints.map((e) => `${e.method} ${e.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "POST /api/extraction/start",
        "GET /api/reports/members/{user_id}",
        "POST /webhooks/clerk",
        "POST /webhooks/stripe",
      ]),
    );
    // Everything under /api that the OpenAPI document lists is in the route table too.
    for (const [p, ops] of Object.entries(doc.paths as Json))
      for (const m of Object.keys(ops as Json)) expect(names).toContain(`${m.toUpperCase()} ${p}`);
  });

  for (const ep of endpoints) {
    it(`${ep.method} ${ep.path}`, { timeout: 600_000 }, async () => {
      const rateLimited = /^\/api\/(query|extraction)\//.test(ep.path);
      const statuses = new Map<number, number>();
      let sent = 0;
      const started = Date.now();
      const send = async (r: Req) => {
        sent++;
        const { path, init } = toRequest(ep, r);
        let res = await call(path, { ...init, env: E });
        // A valid request spent a rate-limit token; at 429, refill the bucket and resend the same input.
        for (let retry = 0; rateLimited && res.status === 429 && retry < 3; retry++) {
          await res.body?.cancel();
          await withTenant(pool, TENANT, (tx) => tx.query("DELETE FROM rate_limits WHERE tenant_id = $1", [TENANT]));
          res = await call(path, { ...init, env: E });
        }
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500)
          throw new Error(
            `${ep.method} ${path.slice(0, 500)} body ${String(init.body).slice(0, 300)} -> ${res.status} ${text.slice(0, 300)}`,
          );
      };
      const batch = fc.array(requestArb(ep), { minLength: CONCURRENCY, maxLength: CONCURRENCY });
      await fc.assert(
        fc.asyncProperty(batch, async (rs) => {
          await Promise.all(rs.map(send));
        }),
        { seed: SEED, numRuns: Math.ceil(RUNS / CONCURRENCY) },
      );
      const spread = [...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}:${n}`)
        .join(" ");
      timings.push(
        `  ${`${ep.method} ${ep.path}`.padEnd(45)} ${String(sent).padStart(5)} requests ${String(Date.now() - started).padStart(7)} ms  ${spread}`,
      );
      expect(sent).toBeGreaterThanOrEqual(RUNS);
    });
  }
});
