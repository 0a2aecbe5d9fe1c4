// WebSocket-to-TCP bridge: lets the Neon serverless driver (which speaks Postgres over WebSocket)
// reach a plain PostgreSQL or the embedded PGlite server. Local development and tests only.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export interface Bridge {
  port: number;
  close(): Promise<void>;
}

export interface BridgeOptions {
  /**
   * Keep server sessions for the next WebSocket, as Neon's pooler does in production: a Worker opens
   * a connection per request, and a fresh PostgreSQL backend (cold caches, new memory) made Overview's
   * report at 1M messages take 273 ms instead of 120. PostgreSQL only: PGlite has one session for
   * every connection, and resetting it (DISCARD ALL) would drop the role the embedded server set.
   */
  reuseSessions?: boolean;
}

/**
 * Starts the bridge on 127.0.0.1. Every WebSocket is piped to `target`, whatever address the
 * driver asks for, so the bridge can never be used to reach another host.
 */
export async function startBridge(target: { host: string; port: number }, port = 0, opts: BridgeOptions = {}): Promise<Bridge> {
  if (opts.reuseSessions) return startReusingBridge(target, port);
  const debug = process.env.DEBUG_BRIDGE === "1" ? (...a: unknown[]) => console.error("[bridge]", ...a) : () => {};
  return serve(port, (ws, req) => {
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
}

/** The bridge's HTTP server on 127.0.0.1 (WebSocket upgrades only); `onClose` runs before it closes. */
async function serve(port: number, onConnection: (ws: WebSocket, req: IncomingMessage) => void, onClose = () => {}): Promise<Bridge> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(426).end("websocket only");
  });
  // permessage-deflate must stay off: workerd drops compressed frames ("Network connection lost").
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on("connection", onConnection);
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
        onClose();
        wss.close();
        server.close(() => resolve());
      }),
  };
}

// ---- Session reuse (reuseSessions) ----------------------------------------------------------------
// A small session pooler: a WebSocket whose StartupMessage matches a parked session gets that session,
// with the server's greeting (authentication, parameters, backend key, ReadyForQuery) replayed to it.
// A session is parked only when it ends idle: its last server message was ReadyForQuery 'I' and the
// client sent nothing after it. It is then reset with DISCARD ALL (settings, role, prepared
// statements, temporary tables, advisory locks) before anyone else gets it. Anything else (a session
// that ends inside a transaction or mid-query, a server asking for a password) is closed as before.

const STARTUP_V3 = 196608;
const IDLE_MS = 30_000;
const MAX_IDLE_PER_KEY = 8;

/** Splits a byte stream into PostgreSQL messages (type byte + int32 length). */
class Framer {
  private buf = Buffer.alloc(0);
  push(data: Buffer): { type: number; body: Buffer; raw: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: { type: number; body: Buffer; raw: Buffer }[] = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < 1 + len) break;
      const raw = this.buf.subarray(0, 1 + len);
      out.push({ type: raw[0], body: raw.subarray(5), raw });
      this.buf = this.buf.subarray(1 + len);
    }
    return out;
  }
  get empty(): boolean {
    return this.buf.length === 0;
  }
}

interface Session {
  tcp: Socket;
  greeting: Buffer;
  timer?: NodeJS.Timeout;
}

function startReusingBridge(target: { host: string; port: number }, port: number): Promise<Bridge> {
  const idle = new Map<string, Session[]>();
  const all = new Set<Socket>();

  /**
   * Opens a session and reads the server's greeting up to ReadyForQuery. A server that asks for a
   * password or refuses (ErrorResponse) gives a session that is not reusable: the client gets what
   * the server said and talks to it directly, as through the plain bridge. null: no server.
   */
  const open = (startup: Buffer): Promise<(Session & { reusable: boolean }) | null> =>
    new Promise((resolve) => {
      const tcp = connect(target.port, target.host);
      tcp.setNoDelay(true);
      all.add(tcp);
      tcp.on("close", () => all.delete(tcp));
      const framer = new Framer();
      const received: Buffer[] = [];
      const fail = () => {
        tcp.destroy();
        resolve(null);
      };
      const settle = (reusable: boolean) => {
        tcp.off("data", onData);
        tcp.off("error", fail);
        resolve({ tcp, greeting: Buffer.concat(received), reusable });
      };
      const onData = (data: Buffer) => {
        received.push(data);
        for (const m of framer.push(data)) {
          // 'R' with a code other than 0 asks for a password; 'E' refuses the session.
          if ((m.type === 0x52 && m.body.readInt32BE(0) !== 0) || m.type === 0x45) return settle(false);
          if (m.type === 0x5a) return settle(true);
        }
      };
      tcp.on("data", onData);
      tcp.on("error", fail);
      tcp.on("close", () => resolve(null));
      tcp.on("connect", () => tcp.write(startup));
    });

  const park = (key: string, s: Session) => {
    const framer = new Framer();
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      s.tcp.removeAllListeners("data");
      if (!ok || (idle.get(key)?.length ?? 0) >= MAX_IDLE_PER_KEY) {
        s.tcp.destroy();
        return;
      }
      s.timer = setTimeout(() => take(key, s)?.tcp.destroy(), IDLE_MS).unref();
      s.tcp.once("close", () => take(key, s));
      idle.set(key, [...(idle.get(key) ?? []), s]);
    };
    s.tcp.removeAllListeners("data");
    s.tcp.on("data", (data: Buffer) => {
      for (const m of framer.push(data)) {
        if (m.type === 0x45) done(false);
        else if (m.type === 0x5a) done(m.body[0] === 0x49);
      }
    });
    const q = Buffer.from("DISCARD ALL\0");
    const msg = Buffer.alloc(5 + q.length);
    msg[0] = 0x51;
    msg.writeInt32BE(4 + q.length, 1);
    q.copy(msg, 5);
    s.tcp.write(msg);
  };

  /** Removes a parked session from the idle list; returns it if it was there. */
  const take = (key: string, s?: Session): Session | undefined => {
    const list = idle.get(key) ?? [];
    const i = s ? list.indexOf(s) : list.length - 1;
    if (i < 0) return undefined;
    const [got] = list.splice(i, 1);
    clearTimeout(got.timer);
    got.tcp.removeAllListeners("close");
    got.tcp.on("close", () => all.delete(got.tcp));
    return got;
  };

  const onConnection = (ws: WebSocket) => {
    let first: Buffer | null = Buffer.alloc(0);
    const queued: Buffer[] = [];
    let session: Session | null = null;
    let plain: Socket | null = null;
    let key = "";
    let lastStatus = 0;
    let clientSinceReady = false;
    let ended = false;
    const toServer = new Framer();
    const fromServer = new Framer();

    const end = (terminated: boolean) => {
      if (ended) return;
      ended = true;
      if (session) {
        const s = session;
        s.tcp.removeAllListeners("data");
        s.tcp.removeAllListeners("error");
        s.tcp.removeAllListeners("close");
        s.tcp.on("close", () => all.delete(s.tcp));
        s.tcp.on("error", () => s.tcp.destroy());
        // Idle at a message boundary: reusable. Else the server must see the session end.
        if (lastStatus === 0x49 && !clientSinceReady && toServer.empty && fromServer.empty) park(key, s);
        else s.tcp.destroy();
      }
      plain?.destroy();
      if (terminated) ws.close(1000);
    };

    /** From here on, bytes pass between the WebSocket and `tcp` untouched (no reuse). */
    const pipe = (tcp: Socket) => {
      plain = tcp;
      tcp.on("data", (d) => ws.readyState === ws.OPEN && ws.send(d));
      tcp.on("close", () => ws.close());
      tcp.on("error", () => ws.terminate());
    };

    const attach = (s: Session) => {
      session = s;
      lastStatus = 0x49;
      s.tcp.on("data", (data: Buffer) => {
        for (const m of fromServer.push(data)) {
          if (m.type === 0x5a) {
            lastStatus = m.body[0];
            clientSinceReady = false;
          }
        }
        if (ws.readyState === ws.OPEN) ws.send(data);
      });
      s.tcp.on("close", () => ws.close());
      s.tcp.on("error", () => ws.terminate());
      if (ws.readyState === ws.OPEN) ws.send(s.greeting);
      for (const q of queued.splice(0)) fromClient(q);
    };

    const fromClient = (data: Buffer) => {
      for (const m of toServer.push(data)) {
        // Terminate ('X'): the session ends here; the server keeps it for the next client.
        if (m.type === 0x58) return end(true);
        clientSinceReady = true;
        session?.tcp.write(m.raw);
      }
    };

    ws.on("message", (data: Buffer) => {
      if (ended) return;
      if (plain) return void plain.write(data);
      if (session) return fromClient(data);
      if (first === null) return void queued.push(data);
      const head = Buffer.concat([first, data]);
      first = head;
      if (head.length < 8 || head.length < head.readInt32BE(0)) return;
      const len = head.readInt32BE(0);
      const startup = head.subarray(0, len);
      const rest = head.subarray(len);
      first = null;
      if (rest.length) queued.push(rest);
      if (startup.readInt32BE(4) !== STARTUP_V3) {
        // SSL, cancel or GSS requests: piped as the plain bridge does.
        const tcp = connect(target.port, target.host);
        tcp.setNoDelay(true);
        // Written now (the socket holds it until connected), so it goes before anything piped later.
        tcp.write(Buffer.concat([startup, ...queued.splice(0)]));
        pipe(tcp);
        return;
      }
      key = startup.toString("hex");
      const reused = take(key);
      if (reused) return attach(reused);
      void open(startup).then((s) => {
        if (!s) return void ws.close(1011, "the database is not reachable");
        if (ended) return void s.tcp.destroy();
        if (s.reusable) return attach(s);
        // A password exchange or a refusal: pass it through and never park this session.
        pipe(s.tcp);
        if (ws.readyState === ws.OPEN) ws.send(s.greeting);
        for (const q of queued.splice(0)) s.tcp.write(q);
      });
    });
    ws.on("close", () => end(false));
    ws.on("error", () => end(false));
  };
  return serve(port, onConnection, () => {
    idle.clear();
    for (const tcp of all) tcp.destroy();
  });
}
