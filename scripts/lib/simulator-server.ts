// Placeholder until the simulator lands: serves nothing but a liveness answer.
import { createServer } from "node:http";

export async function startSimulatorServer(opts: { port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => server.listen(opts.port, "127.0.0.1", () => r()));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise((r) => server.close(() => r())) };
}
