// Bot tokens at rest: AES-256-GCM (WebCrypto) under keys from TOKEN_ENCRYPTION_KEYS ("id:base64key,...",
// newest first). The first key seals; any listed key opens, so keys rotate without a flag day:
// add the new key in front, and every token is re-sealed with it on its next use (loadBotToken).
// The tenant id is the additional authenticated data: a ciphertext copied to another tenant's
// row does not open.
import { ConfigError, requireSetting, type Config } from "../config";
import { log } from "../lib/log";

export interface SealKey {
  id: string;
  key: CryptoKey;
}
export interface Sealed {
  keyId: string;
  /** base64(iv || ciphertext+tag) */
  ciphertext: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;
/** Development-only key id; refused outside AUTH_MODE=local. */
export const DEV_KEY_ID = "dev-insecure";

const keyCache = new Map<string, Promise<SealKey[]>>();
let devWarned = false;

/** The configured keys, newest first. Fails closed (a ConfigError naming the variable) when absent. */
export function sealKeys(config: Config): Promise<SealKey[]> {
  const spec = config.TOKEN_ENCRYPTION_KEYS;
  if (!spec) {
    // Only the embedded single-user default may run without a key; production refuses local mode.
    if (config.AUTH_MODE !== "local" || config.APP_ENV === "production") requireSetting(config, "TOKEN_ENCRYPTION_KEYS");
    if (!devWarned) {
      devWarned = true;
      log.warn("accounts.dev_encryption_key", {
        message:
          "TOKEN_ENCRYPTION_KEYS is not set: bot tokens are sealed with a fixed development-only key (AUTH_MODE=local). Never use this in production.",
      });
    }
    return cached(`dev:${config.LOCAL_TENANT_ID}`, () => devKeys(config.LOCAL_TENANT_ID));
  }
  return cached(spec, () => parseKeys(spec));
}

function cached(k: string, make: () => Promise<SealKey[]>): Promise<SealKey[]> {
  let hit = keyCache.get(k);
  if (!hit) {
    hit = make();
    hit.catch(() => keyCache.delete(k));
    keyCache.set(k, hit);
  }
  return hit;
}

async function devKeys(localTenant: string): Promise<SealKey[]> {
  const raw = await crypto.subtle.digest("SHA-256", enc.encode(`discord-sql development key for ${localTenant}`));
  return [{ id: DEV_KEY_ID, key: await importAes(raw) }];
}

export async function parseKeys(spec: string): Promise<SealKey[]> {
  const keys: SealKey[] = [];
  for (const part of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(":");
    const id = colon > 0 ? part.slice(0, colon) : "";
    if (!KEY_ID.test(id))
      throw new ConfigError("TOKEN_ENCRYPTION_KEYS: each entry must be id:base64key (id of letters, digits, _.-)", "TOKEN_ENCRYPTION_KEYS");
    let raw: Uint8Array;
    try {
      raw = fromBase64(part.slice(colon + 1));
    } catch {
      throw new ConfigError(`TOKEN_ENCRYPTION_KEYS: key ${id} is not valid base64`, "TOKEN_ENCRYPTION_KEYS");
    }
    if (raw.length !== 32)
      throw new ConfigError(`TOKEN_ENCRYPTION_KEYS: key ${id} must be 32 bytes (AES-256), got ${raw.length}`, "TOKEN_ENCRYPTION_KEYS");
    if (keys.some((k) => k.id === id)) throw new ConfigError(`TOKEN_ENCRYPTION_KEYS: key id ${id} appears twice`, "TOKEN_ENCRYPTION_KEYS");
    keys.push({ id, key: await importAes(raw) });
  }
  if (keys.length === 0) throw new ConfigError("TOKEN_ENCRYPTION_KEYS is empty", "TOKEN_ENCRYPTION_KEYS");
  return keys;
}

function importAes(raw: ArrayBuffer | Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw as BufferSource, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

export async function seal(keys: SealKey[], plaintext: string, tenantId: string): Promise<Sealed> {
  const { id, key } = keys[0];
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(tenantId) }, key, enc.encode(plaintext)),
  );
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return { keyId: id, ciphertext: toBase64(out) };
}

export class UnsealError extends Error {}

export async function open(keys: SealKey[], sealed: Sealed, tenantId: string): Promise<string> {
  const k = keys.find((x) => x.id === sealed.keyId);
  if (!k) throw new UnsealError(`the bot token was sealed with key "${sealed.keyId}", which TOKEN_ENCRYPTION_KEYS no longer lists`);
  const bytes = fromBase64(sealed.ciphertext);
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: enc.encode(tenantId) },
      k.key,
      bytes.subarray(12),
    );
    return dec.decode(pt);
  } catch {
    throw new UnsealError(`the stored bot token does not open with key "${sealed.keyId}" (corrupted, or sealed for another tenant)`);
  }
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.trim());
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
