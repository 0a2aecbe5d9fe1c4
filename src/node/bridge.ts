// WebSocket-to-TCP bridge: lets the Neon serverless driver (which speaks Postgres over WebSocket)
// reach a plain PostgreSQL or the embedded PGlite server. Local development and tests only.
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { WebSocketServer } from "ws";

export interface Bridge {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the bridge on 127.0.0.1. Every WebSocket is piped to `target`, whatever address the
 * driver asks for, so the bridge can never be used to reach another host.
 */
export async function startBridge(target: { host: string; port: number }, port = 0): Promise<Bridge> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(426).end("websocket only");
  });
  // permessage-deflate must stay off: workerd drops compressed frames ("Network connection lost").
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const debug = process.env.DEBUG_BRIDGE === "1" ? (...a: unknown[]) => console.error("[bridge]", ...a) : () => {};
  wss.on("connection", (ws, req) => {
    debug("ws open", req.url, req.headers["sec-websocket-extensions"] ?? "");
    const tcp = connect(target.port, target.host);
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
    let open = false;
    tcp.on("connect", () => {
      open = true;
      for (const chunk of pending) tcp.write(chunk);
      pending.length = 0;
    });
    ws.on("message", (data: Buffer) => {
      if (open) tcp.write(data);
      else pending.push(data);
      // A Terminate message ('X', length 4) ends the session. PostgreSQL then closes the socket;
      // PGlite's socket server does not, and workerd fails the next connection while the old
      // WebSocket lingers. Closing here gives both servers PostgreSQL's behaviour.
      if (data.length === 5 && data[0] === 0x58 && data.readInt32BE(1) === 4) {
        debug("terminate");
        tcp.end();
        ws.close(1000);
      }
    });
    tcp.on("data", (data) => ws.readyState === ws.OPEN && ws.send(data));
    tcp.on("close", () => {
      debug("tcp close");
      ws.close();
    });
    tcp.on("error", (e) => {
      debug("tcp error", e.message);
      ws.terminate();
    });
    ws.on("close", (code) => {
      debug("ws close", code);
      tcp.destroy();
    });
    ws.on("error", (e) => {
      debug("ws error", e.message);
      tcp.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("bridge: no port");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}
