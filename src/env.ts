// The Worker's bindings. Plain variables and secrets are read through readConfig(), never directly.

export interface Env {
  ASSETS?: Fetcher;
  /**
   * The tenant coordinator's namespace, untyped here: the Durable Object imports Env, so Env must not
   * import it back. coordinator() (src/extraction/coordinator-client.ts) gives its stubs their type.
   */
  TENANT: DurableObjectNamespace;
  EXTRACT_QUEUE: Queue;
  EXTRACT_DLQ?: Queue;
  /** Variables and secrets: read them through readConfig(), never directly. */
  [variable: string]: unknown;
  /** Test-only bindings (vitest.config.ts): addresses of the local simulator and Stripe stand-in. */
  SIMULATOR_URL?: string;
  STRIPE_API_HOST?: string;
  TEST_DATABASE_KIND?: string;
  DATABASE_URL?: string;
}

export interface AppVariables {
  requestId: string;
  /** Set by the auth middleware on /api routes. */
  tenantId: string;
}
