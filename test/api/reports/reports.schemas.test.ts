// The one contract: every 2xx response in the OpenAPI document has a real schema (reports included,
// never an empty or unknown `data`), and what the reports answer on a seeded server parses with
// the same zod schemas the document is generated from.
import { env } from "cloudflare:workers";
import type { z } from "@hono/zod-openapi";
import { beforeAll, describe, expect, it } from "vitest";
import { refreshAnalytics } from "../../../src/analytics/refresh";
import * as routes from "../../../src/api/reports/reports.routes";
import { call } from "../../accounts/helpers";
import { freshTenant, seedServer, withPool, type Seeded } from "../../analytics/helpers";

type Json = Record<string, any>;

/** A schema that says nothing about the value: absent, {}, or only a description. */
function isEmptySchema(s: Json | undefined): boolean {
  if (!s) return true;
  return !["$ref", "type", "properties", "items", "anyOf", "oneOf", "allOf", "enum", "const"].some((k) => k in s);
}

function resolve(doc: Json, s: Json): Json {
  return s.$ref ? resolve(doc, doc.components.schemas[s.$ref.replace("#/components/schemas/", "")]) : s;
}

describe("OpenAPI document", () => {
  it("has a schema for every 2xx JSON response, and a typed `data` for every report", async () => {
    const res = await call("/api/openapi.json", { env: { ...env } });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Json;
    const reports: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(ops as Json)) {
        const ok = Object.entries((op as Json).responses ?? {}).filter(([code]) => code.startsWith("2"));
        expect(ok.length, `${method} ${path}: no 2xx response`).toBeGreaterThan(0);
        for (const [code, r] of ok) {
          const content = (r as Json).content ?? {};
          const types = Object.keys(content);
          expect(types.length, `${method} ${path} ${code}: no content`).toBeGreaterThan(0);
          for (const t of types) {
            // Text bodies (CSV, HTML) are described by their media type; JSON bodies need a schema.
            if (t === "application/json") expect(isEmptySchema(content[t].schema), `${method} ${path} ${code}: empty schema`).toBe(false);
          }
          if (path.startsWith("/api/reports/")) {
            reports.push(path);
            const body = resolve(doc, content["application/json"].schema);
            const data = body.properties?.data ? resolve(doc, body.properties.data) : undefined;
            expect(isEmptySchema(data), `${path}: data has no schema`).toBe(false);
            expect(body.required, `${path}: data is required`).toContain("data");
          }
        }
      }
    }
    // Every report route the code registers is in the document (the walk saw them all).
    const registered = Object.values(routes)
      .filter((r): r is typeof routes.daily => typeof r === "object" && r !== null && "path" in r && "method" in r)
      .map((r) => r.path);
    expect(registered.length).toBeGreaterThanOrEqual(10);
    expect(reports.sort()).toEqual(registered.sort());
  });
});

describe("report responses", () => {
  let s: Seeded;
  beforeAll(async () => {
    s = await withPool(async (pool) => {
      const seeded = await seedServer(pool, freshTenant("contract"), "contract", 41);
      await refreshAnalytics(pool, seeded.tenantId, seeded.serverId);
      return seeded;
    });
  });

  type Route = { responses: { 200: { content: { "application/json": { schema: z.ZodType } } } } };
  const schemaOf = (r: Route) => r.responses[200].content["application/json"].schema;
  const cases: [string, string, Route][] = [
    ["interactions", "", routes.interactions],
    ["activity-levels", "", routes.activityLevels],
    ["daily", "", routes.daily],
    ["daily", "&tz=Europe/Paris", routes.daily],
    ["heatmap", "", routes.heatmap],
    ["reactions", "", routes.reactions],
    ["channels", "", routes.channels],
    ["response-time", "", routes.responseTime],
    ["retention", "", routes.retention],
    ["members", "", routes.members],
    ["interactions", "&from=2026-11-01", routes.interactions],
    ["drivers", "", routes.drivers],
    ["influence", "", routes.influence],
    ["bridging", "", routes.bridging],
    ["newcomers", "&from=2026-10-01", routes.newcomers],
    ["member-growth", "", routes.memberGrowth],
    ["channel-list", "", routes.channelList],
    ["overview", "", routes.overview],
    ["overview", "&from=2026-10-01&tz=Europe/Paris", routes.overview],
  ];

  it.each(cases)("%s%s parses with its route's response schema", async (name, extra, route) => {
    const res = await call(`/api/reports/${name}?server_id=${s.serverId}${extra}`, { env: { ...env, LOCAL_TENANT_ID: s.tenantId } });
    expect(res.status).toBe(200);
    const body = await res.json();
    const parsed = schemaOf(route).safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues.slice(0, 3))).toBe(true);
    expect((body as Json).data).toBeDefined();
  });

  it("member detail parses with its schema", async () => {
    const res = await call(`/api/reports/members/${s.userIds[0]}?server_id=${s.serverId}`, {
      env: { ...env, LOCAL_TENANT_ID: s.tenantId },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    const parsed = schemaOf(routes.member).safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues.slice(0, 3))).toBe(true);
    expect(body.data.summary.user_id).toBe(s.userIds[0]);
  });

  it("?last=N is the last N days of the synced history, the same answer as its from/to; with from/to it is a 400 naming last", async () => {
    const get = async (q: string) => {
      const res = await call(`/api/reports/${q}`, { env: { ...env, LOCAL_TENANT_ID: s.tenantId } });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const all = await get(`activity-levels?server_id=${s.serverId}`);
    const newest: string = all.body.data.to;
    expect(newest).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const n of [7, 30, 45]) {
      const from = new Date(Date.parse(`${newest}T00:00:00Z`) - (n - 1) * 86_400_000).toISOString().slice(0, 10);
      const last = await get(`activity-levels?server_id=${s.serverId}&last=${n}`);
      expect(last.status).toBe(200);
      expect([last.body.data.from, last.body.data.to, last.body.data.days]).toEqual([from, newest, n]);
      expect(last.body).toEqual((await get(`activity-levels?server_id=${s.serverId}&from=${from}&to=${newest}`)).body);
      const member = await get(`members/${s.userIds[0]}?server_id=${s.serverId}&last=${n}`);
      expect(member.body).toEqual((await get(`members/${s.userIds[0]}?server_id=${s.serverId}&from=${from}&to=${newest}`)).body);
    }
    for (const bad of ["&last=30&from=2026-10-01", "&last=0", "&last=abc"]) {
      const r = await get(`overview?server_id=${s.serverId}${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.field, bad).toContain("last");
    }
  });
});
