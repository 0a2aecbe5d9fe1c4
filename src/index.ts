// Worker entry: fetch (API, webhooks, dashboard), queue (extraction pages), scheduled (cron).
import { createApp } from "./app";
import type { Env } from "./env";

export { TenantCoordinator } from "../durable-objects/tenant-coordinator";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
