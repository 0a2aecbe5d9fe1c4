// Worker entry: fetch (API, webhooks, dashboard), queue (extraction pages), scheduled (cron).
import { createApp } from "./app";
import type { Env } from "./env";
import { handleDeadLetterBatch, handleExtractBatch } from "./extraction/consumer";
import { scheduled } from "./scheduled";

export { TenantCoordinator } from "../durable-objects/tenant-coordinator";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled,
  // Extraction pages; the dead-letter queue is named "<main queue>-dlq" (wrangler.toml).
  queue: (batch, env, ctx) => (batch.queue.endsWith("-dlq") ? handleDeadLetterBatch(batch, env, ctx) : handleExtractBatch(batch, env, ctx)),
} satisfies ExportedHandler<Env>;
