// The API application: middleware, feature routers, the OpenAPI document. Wiring only.
import { requestId } from "hono/request-id";
import { readConfig } from "./config";
import { createRouter, endPool, onError } from "./lib/app";
import { configRouter } from "./api/config/config.index";
import { healthRouter } from "./api/health/health.index";
import { requireTenant } from "./auth/middleware";
import { cors } from "hono/cors";
import { botRouter } from "./api/bot/bot.index";
import { billingRouter } from "./api/billing/billing.index";
import { webhooksRouter } from "./api/webhooks/webhooks.index";
import { renderApiDocs } from "./api/docs/docs.render";
import { extractionRouter } from "./api/extraction/extraction.index";
import { queryRouter } from "./api/query/query.index";
import { reportsRouter } from "./api/reports/reports.index";
import { settingsRouter } from "./api/settings/settings.index";

export function createApp() {
  const app = createRouter();

  app.use("*", requestId());
  app.use("*", async (c, next) => {
    try {
      await next();
    } finally {
      endPool(c);
    }
    securityHeaders(c.res.headers, safeIsProduction(c.env));
  });

  // CORS for the dashboard's origin only (preflights answered before sign-in is checked).
  app.use(
    "/api/*",
    cors({
      origin: (o, c) => (dashboardOrigins(c.env).includes(o) ? o : null),
      allowHeaders: ["Authorization", "Content-Type"],
      allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
      maxAge: 600,
    }),
  );

  // Public routes first: registered before requireTenant, they answer without a tenant.
  app.route("/", healthRouter);
  app.route("/", configRouter);
  app.route("/", webhooksRouter);
  // The document and its page are built once per isolate, on first request (the routes are all
  // registered by then); only the server URL differs between requests.
  let doc: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  let page: string | undefined;
  const document = () => {
    if (!doc) doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: API_INFO });
    return doc;
  };
  app.get("/api/openapi.json", (c) => c.json({ ...document(), servers: [{ url: new URL(c.req.url).origin }] }));
  app.get("/api/docs", (c) => {
    if (!page) page = renderApiDocs(document());
    return c.html(page);
  });

  // Everything else under /api belongs to a tenant.
  app.use("/api/*", requireTenant);
  // Feature routers (one line each):
  app.route("/", botRouter);
  app.route("/", billingRouter);
  app.route("/", extractionRouter);
  app.route("/", queryRouter);
  app.route("/", reportsRouter);
  app.route("/", settingsRouter);

  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404),
  );
  app.onError(onError);
  return app;
}

const API_INFO = { title: "discord-sql API", version: "1.0.0", description: "Discord server analytics in PostgreSQL." };

function dashboardOrigins(env: object): string[] {
  try {
    return (readConfig(env).DASHBOARD_ORIGIN ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
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
