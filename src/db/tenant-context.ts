// The signed tenant context that Row-Level Security trusts (migration 0040): an HMAC-SHA256, keyed by
// TENANT_CONTEXT_KEY, over the tenant, the backend's pid and the transaction's start. Only the Worker
// and an owner-only table hold the key, so SQL running in the transaction cannot make a token for
// another tenant, nor reuse one in another transaction. Pure WebCrypto: Workers and Node alike.

import { ConfigError } from "../config";

const KEY_HEX = /^[0-9a-fA-F]{64}$/;
const encoder = new TextEncoder();

/** 32 bytes from the 64 hex characters of TENANT_CONTEXT_KEY. */
export function parseTenantKey(hex: string): Uint8Array<ArrayBuffer> {
  const trimmed = hex.trim();
  if (!KEY_HEX.test(trimmed)) {
    throw new ConfigError("TENANT_CONTEXT_KEY must be 64 hex characters (32 bytes; e.g. `openssl rand -hex 32`)", "TENANT_CONTEXT_KEY");
  }
  const out = new Uint8Array(new ArrayBuffer(32));
  for (let i = 0; i < 32; i++) out[i] = parseInt(trimmed.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface TenantSigner {
  /** 16 hex characters naming the key (the database looks the key up by it). */
  kid: string;
  key: CryptoKey;
}

const signers = new Map<string, Promise<TenantSigner>>();

/** The signer for a key, imported once per isolate. */
export function tenantSigner(keyHex: string): Promise<TenantSigner> {
  let hit = signers.get(keyHex);
  if (!hit) {
    hit = (async () => {
      const raw = parseTenantKey(keyHex);
      const idInput = new Uint8Array([...encoder.encode("discord-sql tenant key id"), ...raw]);
      const kid = hex(await crypto.subtle.digest("SHA-256", idInput)).slice(0, 16);
      const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return { kid, key };
    })();
    hit.catch(() => signers.delete(keyHex));
    signers.set(keyHex, hit);
  }
  return hit;
}

/** What the MAC covers; must match discord_sql_tenant() in migration 0040 byte for byte. */
export function tenantContextMessage(tenantId: string, backendPid: string | number, xactStartMicros: string | bigint): string {
  return `discord-sql tenant context v1\n${tenantId}\n${backendPid}\n${xactStartMicros}`;
}

/** The token for app.tenant_context: v1.<kid>.<hmac hex>.<tenant>. */
export async function signTenantContext(
  signer: TenantSigner,
  tenantId: string,
  backendPid: string | number,
  xactStartMicros: string | bigint,
): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", signer.key, encoder.encode(tenantContextMessage(tenantId, backendPid, xactStartMicros)));
  return `v1.${signer.kid}.${hex(mac)}.${tenantId}`;
}
