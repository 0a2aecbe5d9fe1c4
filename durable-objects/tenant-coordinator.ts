// One Durable Object per tenant: job state, progress, cancellation and the tenant's Discord
// rate-limit permits. (Filled in by the extraction work.)
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";

export class TenantCoordinator extends DurableObject<Env> {}
