// Types for `env` and `exports` from "cloudflare:workers" (what `wrangler types` would generate).
// (Spelled out rather than `extends src/env`: that base type is circular through the DO class.)
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./src/index");
    durableNamespaces: "TenantCoordinator";
  }
  interface Env {
    ASSETS?: Fetcher;
    TENANT: DurableObjectNamespace<import("./durable-objects/tenant-coordinator").TenantCoordinator>;
    EXTRACT_QUEUE: Queue;
    EXTRACT_DLQ?: Queue;
    DATABASE_URL?: string;
    DB_WS_PROXY?: string;
    DISCORD_API_BASE?: string;
    SIMULATOR_URL?: string;
    STRIPE_API_HOST?: string;
    TEST_DATABASE_KIND?: string;
    [variable: string]: unknown;
  }
}
