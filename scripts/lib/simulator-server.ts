// Serves the Discord simulator (src/simulator) over HTTP on 127.0.0.1 for workerd tests, the CLI and
// benchmarks. The handler is the web-standard one; this file only adapts Node's http to Request/Response.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createSimulatorHub, type ResetOptions, type SimulatorHub } from "../../src/simulator/index";

export interface SimulatorServerOptions extends ResetOptions {
  port: number;
}

export async function startSimulatorServer(
  opts: SimulatorServerOptions,
): Promise<{ url: string; close(): Promise<void>; hub: SimulatorHub }> {
  const { port, ...defaults } = opts;
  const hub = createSimulatorHub(defaults);
  const server = createServer((req, res) => {
    handle(hub, req, res).catch((err) => {
      if ((err as { simulatedDrop?: boolean })?.simulatedDrop) {
        // The "dropped connection" fault: the client sees a reset socket, no HTTP response at all.
        req.socket.destroy();
        return;
      }
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "simulator failure", detail: String(err) }));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    hub,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(hub: SimulatorHub, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  const body = chunks.length && req.method !== "GET" && req.method !== "HEAD" ? Buffer.concat(chunks) : undefined;
  const response = await hub.fetch(new Request(`http://127.0.0.1${req.url ?? "/"}`, { method: req.method, headers, body }));
  const out: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    out[k] = v;
  });
  res.writeHead(response.status, out);
  res.end(Buffer.from(await response.arrayBuffer()));
}
