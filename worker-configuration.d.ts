// Types for `env` and `exports` from "cloudflare:workers" (what `wrangler types` would generate).
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./src/index");
    durableNamespaces: "TenantCoordinator";
  }
  interface Env extends import("./src/env").Env {}
}
