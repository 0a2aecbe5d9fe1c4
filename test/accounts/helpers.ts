// Test helpers for accounts/billing: real cryptography, generated locally (no network).
import { env } from "cloudflare:workers";
import Stripe from "stripe";
import { beforeAll } from "vitest";
import worker from "../../src/index";
import { readConfig } from "../../src/config";
import { openPool, type PoolLike } from "../../src/db/client";
import { toBase64 } from "../../src/accounts/seal";

export const DASHBOARD = "http://dashboard.test";
export const ISSUER = "https://clerk.discord-sql.test";

const enc = new TextEncoder();
const b64url = (bytes: Uint8Array | string) =>
  toBase64(typeof bytes === "string" ? enc.encode(bytes) : bytes)
    .replace(/=+$/, "")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");

export interface ClerkKeys {
  pem: string;
  privateKey: CryptoKey;
}

export async function clerkKeys(): Promise<ClerkKeys> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const body = toBase64(spki)
    .replace(/(.{64})/g, "$1\n")
    .trim();
  return { pem: `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----`, privateKey: pair.privateKey };
}

/** A Clerk-shaped session token (RS256), valid for a minute unless claims say otherwise. */
export async function sessionToken(keys: ClerkKeys, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "RS256", typ: "JWT", kid: "ins_test" };
  const payload = { iss: ISSUER, azp: DASHBOARD, iat: now - 5, nbf: now - 5, exp: now + 60, sid: "sess_test", ...claims };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", keys.privateKey, enc.encode(input)));
  return `${input}.${b64url(sig)}`;
}

export function randomKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export const STRIPE_WEBHOOK_SECRET = `whsec_${randomKey()}`;
export const CLERK_WEBHOOK_SECRET = `whsec_${randomKey()}`;

/** The test Worker env in Clerk mode with every secret present. */
export function clerkEnv(keys: ClerkKeys, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...env,
    AUTH_MODE: "clerk",
    CLERK_JWT_KEY: keys.pem,
    DASHBOARD_ORIGIN: DASHBOARD,
    CLERK_WEBHOOK_SECRET,
    TOKEN_ENCRYPTION_KEYS: `k1:${FIXED_KEY}`,
    STRIPE_SECRET_KEY: "sk_test_standin",
    STRIPE_WEBHOOK_SECRET,
    STRIPE_PRICE_PRO: "price_pro",
    STRIPE_PRICE_TEAM: "price_team",
    ...extra,
  };
}
export const FIXED_KEY = randomKey();

export const ctx = () => ({ waitUntil() {}, passThroughOnException() {}, props: {} }) as unknown as ExecutionContext;

export async function call(path: string, init: RequestInit & { env?: Record<string, unknown> } = {}): Promise<Response> {
  const { env: e, ...rest } = init;
  return worker.fetch(new Request(`http://localhost${path}`, rest), (e ?? env) as any, ctx());
}

/**
 * The file's Clerk identity: keys generated before its tests, the Worker env that trusts them, and
 * `as(sub)`, the headers of a JSON request signed in as that user.
 */
export function useClerk() {
  let keys: ClerkKeys | undefined;
  let workerEnv: Record<string, unknown> | undefined;
  beforeAll(async () => {
    keys = await clerkKeys();
    workerEnv = clerkEnv(keys);
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error("useClerk(): read inside a test, after beforeAll");
    return v;
  };
  return {
    get keys() {
      return ready(keys);
    },
    get env() {
      return ready(workerEnv);
    },
    as: async (sub: string) => bearer(await sessionToken(ready(keys), { sub }), { "content-type": "application/json" }),
  };
}

export function bearer(token: string, more: Record<string, string> = {}): Record<string, string> {
  return { Authorization: `Bearer ${token}`, ...more };
}

export function testPool(): PoolLike {
  return openPool(readConfig(env));
}

export const uniqueId = (prefix: string) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`;

/** Svix (Clerk webhooks) signature: HMAC-SHA256 over "id.timestamp.body" with the base64 secret. */
export async function svixHeaders(body: string, opts: { secret?: string; id?: string; timestamp?: number } = {}) {
  const secret = (opts.secret ?? CLERK_WEBHOOK_SECRET).replace(/^whsec_/, "");
  const id = opts.id ?? `msg_${crypto.randomUUID()}`;
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const raw = Uint8Array.from(atob(secret), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${id}.${ts}.${body}`)));
  return { "svix-id": id, "svix-timestamp": String(ts), "svix-signature": `v1,${toBase64(sig)}`, "content-type": "application/json" };
}

/** A Stripe-Signature header made by the SDK's own signer (the real v1 scheme). */
export async function stripeSignature(payload: string, opts: { secret?: string; timestamp?: number } = {}) {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: opts.secret ?? STRIPE_WEBHOOK_SECRET,
    timestamp: opts.timestamp,
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
}

export function standinUrl(): string {
  return `http://${(env as Record<string, unknown>).STRIPE_API_HOST as string}`;
}

/** Collects every console line the Worker writes while `fn` runs (to prove secrets never appear). */
export async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const orig = { log: console.log, warn: console.warn, error: console.error, info: console.info, debug: console.debug };
  for (const k of Object.keys(orig) as (keyof typeof orig)[]) {
    console[k] = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    };
  }
  try {
    return { result: await fn(), lines };
  } finally {
    Object.assign(console, orig);
  }
}
