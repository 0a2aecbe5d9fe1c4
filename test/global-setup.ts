// Runs in Node before the workerd tests: starts what they talk to over loopback.
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startBridge } from "../src/node/bridge";
import { startEmbedded } from "../src/node/embedded";
import { migrate } from "../src/node/migrate";
import { readTenantKey } from "../src/node/tenant-key";
import { grantAsOnNeon } from "./neon-state";
import { startSimulatorServer } from "../scripts/lib/simulator-server";
import { startStripeStandin } from "../scripts/lib/stripe-standin";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    dbWsProxy: string;
    databaseKind: string;
    discordApiBase: string;
    simulatorUrl: string;
    stripeApiHost: string;
    tenantContextKey: string;
  }
}

export default async function setup(project: TestProject) {
  const closers: (() => Promise<void>)[] = [];
  let target: { host: string; port: number };
  let appUrl: string;
  let kind: string;
  let tenantContextKey: string;

  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    // A fresh database per run on the real server, dropped afterwards.
    const admin = new URL(serverUrl);
    const dbName = `discord_sql_test_${process.pid}_${Date.now()}`;
    const root = new pg.Client({ connectionString: serverUrl });
    await root.connect();
    await root.query(`CREATE DATABASE ${dbName}`);
    const owner = new pg.Client({ connectionString: withDatabase(serverUrl, dbName) });
    await owner.connect();
    await migrate({ exec: (s) => owner.query(s), query: (s, p) => owner.query(s, p) as any });
    // Neon's state: set_config and friends executable by PUBLIC (no superuser there to revoke them).
    await grantAsOnNeon(owner);
    tenantContextKey = await readTenantKey(owner);
    await owner.end();
    closers.push(async () => {
      await root.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await root.end();
    });
    target = { host: admin.hostname, port: Number(admin.port || 5432) };
    appUrl = `postgres://discord_sql_app@${target.host}:${target.port}/${dbName}`;
    kind = "postgresql";
  } else {
    const embedded = await startEmbedded({});
    closers.push(embedded.close);
    tenantContextKey = embedded.tenantContextKey;
    target = { host: "127.0.0.1", port: embedded.port };
    appUrl = `postgres://discord_sql_app@127.0.0.1:${embedded.port}/postgres`;
    kind = "pglite";
  }

  const bridge = await startBridge(target);
  closers.push(bridge.close);
  const sim = await startSimulatorServer({ port: 0 });
  closers.push(sim.close);
  const stripe = await startStripeStandin();
  closers.push(stripe.close);

  project.provide("databaseUrl", appUrl);
  project.provide("dbWsProxy", `127.0.0.1:${bridge.port}`);
  project.provide("databaseKind", kind);
  project.provide("discordApiBase", `${sim.url}/api/v10`);
  project.provide("simulatorUrl", sim.url);
  project.provide("stripeApiHost", stripe.host);
  project.provide("tenantContextKey", tenantContextKey);

  return async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  };
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}
