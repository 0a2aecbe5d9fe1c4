// The API application: middleware, feature routers, the OpenAPI document. Wiring only.
import { requestId } from "hono/request-id";
import { readConfig } from "./config";
import { createRouter, endPool, onError } from "./lib/app";
import { healthRouter } from "./api/health/health.index";
import { requireTenant } from "./auth/middleware";

export function createApp() {
  const app = createRouter();

  app.use("*", requestId());
  app.use("*", async (c, next) => {
    try {
      await next();
    } finally {
      await endPool(c);
    }
    securityHeaders(c.res.headers, safeIsProduction(c.env));
  });

  // Public routes first: registered before requireTenant, they answer without a tenant.
  app.route("/", healthRouter);
  app.doc31("/api/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: { title: "discord-sql API", version: "1.0.0", description: "Discord server analytics in PostgreSQL." },
    servers: [{ url: new URL(c.req.url).origin }],
  }));

  // Everything else under /api belongs to a tenant.
  app.use("/api/*", requireTenant);
  // Feature routers (one line each):

  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404),
  );
  app.onError(onError);
  return app;
}

function safeIsProduction(env: object): boolean {
  try {
    return readConfig(env).APP_ENV === "production";
  } catch {
    return true;
  }
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https://cdn.discordapp.com https://img.clerk.com",
  "connect-src 'self' https://*.clerk.accounts.dev https://api.clerk.com",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

export function securityHeaders(headers: Headers, production: boolean): void {
  headers.set("X-Frame-Options", "DENY");
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
  if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", CSP);
  if (production) headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload");
}
