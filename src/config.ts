// The one way to read configuration: the Worker's env (vars + secrets) parsed once per invocation.
import { z } from "zod";

const optional = z.string().min(1).optional();

export const configSchema = z.object({
  APP_ENV: z.enum(["production", "development", "test"]).default("production"),
  DATABASE_URL: optional,
  /**
   * Optional: where tenant SQL (POST /api/query/execute) runs, e.g. a Neon read replica, so a heavy
   * query never slows ingestion or another tenant's dashboard. Same roles and schema as DATABASE_URL.
   */
  QUERY_DATABASE_URL: optional,
  /** Local only: host:port of the WebSocket-to-TCP bridge in front of a plain PostgreSQL or PGlite. */
  DB_WS_PROXY: optional,
  DISCORD_API_BASE: z.string().url().default("https://discord.com/api/v10"),
  /** "local": one tenant, no sign-in (embedded default). Refused when APP_ENV is production. */
  AUTH_MODE: z.enum(["clerk", "local"]).default("clerk"),
  LOCAL_TENANT_ID: z.string().min(1).default("local"),
  DASHBOARD_ORIGIN: optional,
  CLERK_SECRET_KEY: optional,
  CLERK_JWT_KEY: optional,
  CLERK_PUBLISHABLE_KEY: optional,
  CLERK_WEBHOOK_SECRET: optional,
  /** Expected `iss` of session tokens (the Clerk Frontend API URL); checked when set. */
  CLERK_ISSUER: optional,
  /**
   * 64 hex characters: signs each transaction's tenant context, which Row-Level Security verifies in
   * the database (migration 0040). The same key must be installed there (docs/production.md).
   */
  TENANT_CONTEXT_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters (openssl rand -hex 32)")
    .optional(),
  /** Comma-separated `id:base64key` pairs, newest first: the first seals, all can open. */
  TOKEN_ENCRYPTION_KEYS: optional,
  STRIPE_SECRET_KEY: optional,
  STRIPE_WEBHOOK_SECRET: optional,
  STRIPE_PRICE_PRO: optional,
  STRIPE_PRICE_TEAM: optional,
  /** Local stand-in for api.stripe.com in tests (host:port, http). */
  STRIPE_API_HOST: optional,
  /** Seconds a tenant's SQL may run (the original product's 30 s). */
  QUERY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
  /** Days before the newest stored message re-scanned on incremental syncs (edits, deletions, reactions). */
  RESCAN_DAYS: z.coerce.number().int().min(0).max(60).default(2),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly variable: string,
  ) {
    super(message);
  }
}

const cache = new WeakMap<object, Config>();

/** Parses the env once per env object; a bad value throws a ConfigError naming the variable. */
export function readConfig(env: object): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = (env as Record<string, unknown>)[key];
    if (typeof value === "string" && value !== "") raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0] ?? "env");
    throw new ConfigError(`configuration variable ${variable} is invalid: ${issue.message}`, variable);
  }
  const config = parsed.data;
  if (config.APP_ENV === "production" && config.AUTH_MODE === "local") {
    throw new ConfigError("AUTH_MODE=local is refused when APP_ENV=production", "AUTH_MODE");
  }
  if (config.APP_ENV === "production" && config.DB_WS_PROXY) {
    throw new ConfigError("DB_WS_PROXY is for local development and is refused when APP_ENV=production", "DB_WS_PROXY");
  }
  if (config.APP_ENV === "production" && !config.TENANT_CONTEXT_KEY) {
    // Fail closed: without it no tenant transaction can be opened (local and test tools pass the key
    // they read from the database as its owner).
    throw new ConfigError("server misconfigured: TENANT_CONTEXT_KEY is not set (see docs/production.md)", "TENANT_CONTEXT_KEY");
  }
  cache.set(env, config);
  return config;
}

/** Reads a variable that this code path cannot work without: fail closed, naming it. */
export function requireSetting<K extends keyof Config>(config: Config, key: K): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null || value === "") {
    throw new ConfigError(`server misconfigured: ${String(key)} is not set`, String(key));
  }
  return value as NonNullable<Config[K]>;
}
