// The Worker's bindings. Plain variables and secrets are read through readConfig(), never directly.
import type { TenantCoordinator } from "../durable-objects/tenant-coordinator";

export interface Env {
  ASSETS?: Fetcher;
  TENANT: DurableObjectNamespace<TenantCoordinator>;
  EXTRACT_QUEUE: Queue;
  EXTRACT_DLQ?: Queue;
  [variable: string]: unknown;
}

export interface AppVariables {
  requestId: string;
  /** Set by the auth middleware on /api routes. */
  tenantId: string;
}
