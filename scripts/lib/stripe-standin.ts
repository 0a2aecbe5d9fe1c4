// A local stand-in for api.stripe.com, enough for the calls discord-sql makes: customers.create,
// checkout.sessions.create, billingPortal.sessions.create, subscriptions.retrieve. It speaks the
// real wire format (form-encoded requests, Bearer secret key, JSON objects, Stripe error shapes,
// Idempotency-Key replay), so the stripe SDK is exercised unchanged via its host/port/protocol
// options. Control API for tests: GET /__standin/requests, POST /__standin/subscriptions (set a
// subscription Stripe will return), POST /__standin/fail {status} (next call fails), POST /__standin/reset.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface StandinRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  idempotencyKey?: string;
  authorized: boolean;
}

export interface StripeStandin {
  url: string;
  /** host:port, the value for STRIPE_API_HOST */
  host: string;
  requests: StandinRequest[];
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

/** Stripe's bracket notation (a[b][0][c]=v) flattened to keys as sent; enough for assertions. */
function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  return out;
}

function metadataOf(params: Record<string, string>, prefix = "metadata"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const m = new RegExp(`^${prefix.replace(/[[\]]/g, "\\$&")}\\[([^\\]]+)\\]$`).exec(k);
    if (m) out[m[1]] = v;
  }
  return out;
}

export async function startStripeStandin(opts: { port?: number } = {}): Promise<StripeStandin> {
  const requests: StandinRequest[] = [];
  const subscriptions = new Map<string, unknown>();
  const idempotent = new Map<string, string>();
  let failNext: number | null = null;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "request-id": id("req") });
    res.end(JSON.stringify(body));
  };
  const stripeError = (res: ServerResponse, status: number, type: string, message: string) =>
    send(res, status, { error: { type, message } });

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;

    if (path.startsWith("/__standin/")) {
      if (path === "/__standin/requests") return send(res, 200, requests);
      if (path === "/__standin/reset") {
        requests.length = 0;
        subscriptions.clear();
        idempotent.clear();
        failNext = null;
        return send(res, 200, { ok: true });
      }
      if (path === "/__standin/subscriptions" && req.method === "POST") {
        const sub = JSON.parse(raw) as { id: string };
        subscriptions.set(sub.id, { object: "subscription", ...sub });
        return send(res, 200, { ok: true });
      }
      if (path === "/__standin/fail" && req.method === "POST") {
        failNext = (JSON.parse(raw || "{}") as { status?: number }).status ?? 500;
        return send(res, 200, { ok: true });
      }
      return send(res, 404, { error: "unknown control route" });
    }

    const auth = req.headers.authorization ?? "";
    const authorized = /^Bearer sk_(test|live)_\S+$/.test(auth);
    const params = req.method === "GET" ? Object.fromEntries(url.searchParams) : parseForm(raw);
    const idemKey = req.headers["idempotency-key"] as string | undefined;
    requests.push({ method: req.method ?? "GET", path, params, idempotencyKey: idemKey, authorized });
    if (!authorized) return stripeError(res, 401, "invalid_request_error", "Invalid API Key provided");
    if (failNext !== null) {
      const status = failNext;
      failNext = null;
      return stripeError(res, status, "api_error", "stand-in: injected failure");
    }
    // Idempotency-Key: the same key returns the first answer (Stripe's behaviour).
    const replayKey = idemKey ? `${req.method} ${path} ${idemKey}` : undefined;
    if (replayKey && idempotent.has(replayKey)) {
      res.writeHead(200, { "content-type": "application/json", "idempotent-replayed": "true" });
      return res.end(idempotent.get(replayKey));
    }
    const answer = (body: unknown) => {
      const text = JSON.stringify(body);
      if (replayKey) idempotent.set(replayKey, text);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    };
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    if (req.method === "POST" && path === "/v1/customers") {
      return answer({
        id: id("cus"),
        object: "customer",
        email: params.email ?? null,
        metadata: metadataOf(params),
        created: Math.floor(Date.now() / 1000),
      });
    }
    if (req.method === "POST" && path === "/v1/checkout/sessions") {
      if (!params["line_items[0][price]"])
        return stripeError(res, 400, "invalid_request_error", "Missing required param: line_items[0][price].");
      const sid = id("cs_test");
      return answer({
        id: sid,
        object: "checkout.session",
        mode: params.mode,
        customer: params.customer ?? null,
        client_reference_id: params.client_reference_id ?? null,
        metadata: metadataOf(params),
        success_url: params.success_url,
        cancel_url: params.cancel_url,
        url: `${base}/pay/${sid}`,
        status: "open",
      });
    }
    if (req.method === "POST" && path === "/v1/billing_portal/sessions") {
      if (!params.customer) return stripeError(res, 400, "invalid_request_error", "Missing required param: customer.");
      const pid = id("bps");
      return answer({
        id: pid,
        object: "billing_portal.session",
        customer: params.customer,
        return_url: params.return_url,
        url: `${base}/portal/${pid}`,
      });
    }
    const sub = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (req.method === "GET" && sub) {
      const found = subscriptions.get(decodeURIComponent(sub[1]));
      if (!found) return stripeError(res, 404, "invalid_request_error", `No such subscription: '${sub[1]}'`);
      return send(res, 200, found);
    }
    return stripeError(res, 404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${path}).`);
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
