// The bridge's session reuse (what Neon's pooler does in production), attacked through the Neon driver
// over WebSockets on a real PostgreSQL: a session is handed on only when it ended idle, and handed on
// reset (no setting, role, temporary table or open transaction of the previous client survives).
import { Client, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startBridge, type Bridge } from "../../src/node/bridge";

const serverUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!serverUrl)("bridge: session reuse on PostgreSQL", () => {
  let bridge: Bridge;
  const u = new URL(serverUrl ?? "postgres://x@127.0.0.1:5432/postgres");

  beforeAll(async () => {
    bridge = await startBridge({ host: u.hostname, port: Number(u.port || 5432) }, 0, { reuseSessions: true });
    neonConfig.webSocketConstructor = WebSocket;
    neonConfig.wsProxy = (host, port) => `127.0.0.1:${bridge.port}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
  });
  afterAll(() => bridge.close());

  /** One client session: runs fn, then ends the session as a Worker does (Terminate). */
  async function session<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: serverUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }
  const pid = (c: Client) => c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid").then((r) => r.rows[0].pid);
  /**
   * What the server says of a backend, read beside the bridge (not through it): "gone", or its state
   * and last statement. Polled until `until` holds (5 s at most), so a loaded machine waits longer
   * instead of failing, and a session wrongly kept is seen as kept rather than raced.
   */
  async function backend(p: number, until: (b: string) => boolean): Promise<string> {
    const direct = new pg.Client({ connectionString: serverUrl });
    await direct.connect();
    try {
      let b = "";
      for (let i = 0; i < 100; i++) {
        const r = await direct.query<{ b: string }>("SELECT state || ' ' || query AS b FROM pg_stat_activity WHERE pid = $1", [p]);
        b = r.rows[0]?.b ?? "gone";
        if (until(b)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // The bridge parks the session when its ReadyForQuery arrives, just after the server shows it idle.
      await new Promise((r) => setTimeout(r, 20));
      return b;
    } finally {
      await direct.end();
    }
  }

  it("hands an idle session to the next client, reset: settings, role and temporary tables are gone", async () => {
    const first = await session(async (c) => {
      await c.query("SET application_name = 'first client'");
      await c.query("SELECT set_config('app.tenant_context', 'forged', false)");
      await c.query("CREATE TEMP TABLE left_behind (x int)");
      await c.query("CREATE ROLE bridge_test_role NOLOGIN").catch(() => {});
      await c.query("SET ROLE bridge_test_role");
      return pid(c);
    });
    expect(await backend(first, (b) => b === "idle DISCARD ALL")).toBe("idle DISCARD ALL");
    const second = await session(async (c) => ({
      pid: await pid(c),
      app: (await c.query("SHOW application_name")).rows[0].application_name,
      ctx: (await c.query("SELECT current_setting('app.tenant_context', true) AS v")).rows[0].v,
      temp: (await c.query("SELECT to_regclass('pg_temp.left_behind') AS t")).rows[0].t,
      role: (await c.query("SELECT current_user AS u")).rows[0].u,
    }));
    expect(second.pid).toBe(first);
    expect(second.app).not.toBe("first client");
    expect(second.ctx ?? "").toBe("");
    expect(second.temp).toBeNull();
    expect(second.role).toBe(u.username);
    await session((c) => c.query("DROP ROLE IF EXISTS bridge_test_role"));
  });

  it("never hands on a session that ended inside a transaction", async () => {
    const first = await session(async (c) => {
      await c.query("BEGIN");
      await c.query("SELECT set_config('app.current_tenant', 'a', true)");
      return pid(c);
    });
    // Closed, not parked: the server sees its backend end.
    expect(await backend(first, (b) => b === "gone")).toBe("gone");
    const second = await session(async (c) => ({
      pid: await pid(c),
      open: (
        await c.query("SELECT now() <> statement_timestamp() OR coalesce(current_setting('app.current_tenant', true), '') = 'a' AS open")
      ).rows[0].open,
    }));
    expect(second.pid).not.toBe(first);
    expect(second.open).toBe(false);
  });

  it("passes a refused session's error through instead of parking it", async () => {
    const missing = Object.assign(new URL(serverUrl ?? ""), { pathname: "/no_such_database_here" }).toString();
    const c = new Client({ connectionString: missing });
    await expect(c.connect()).rejects.toThrow(/no_such_database_here.*does not exist/);
    // The bridge still serves the next client.
    expect(await session(pid)).toBeGreaterThan(0);
  });

  it("gives clients that overlap their own sessions", async () => {
    const a = new Client({ connectionString: serverUrl });
    const b = new Client({ connectionString: serverUrl });
    await Promise.all([a.connect(), b.connect()]);
    try {
      const [pa, pb] = await Promise.all([pid(a), pid(b)]);
      expect(pa).not.toBe(pb);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});
