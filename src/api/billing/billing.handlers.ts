import type { RouteHandler } from "@hono/zod-openapi";
import { createCheckout, createPortal, subscriptionView, usageView } from "../../billing/account";
import { config, pool, type AppContext, type AppEnv } from "../../lib/app";
import type { checkout, portal, subscription, usage } from "./billing.routes";

/** Where Stripe sends the user back: the dashboard (its configured origin, else this host). */
const returnOrigin = (c: AppContext) => config(c).DASHBOARD_ORIGIN?.split(",")[0].trim() ?? new URL(c.req.url).origin;

export const checkoutHandler: RouteHandler<typeof checkout, AppEnv> = async (c) =>
  c.json(await createCheckout(pool(c), config(c), c.get("tenantId"), c.req.valid("param").plan, returnOrigin(c)), 200);

export const portalHandler: RouteHandler<typeof portal, AppEnv> = async (c) =>
  c.json(await createPortal(pool(c), config(c), c.get("tenantId"), returnOrigin(c)), 200);

export const subscriptionHandler: RouteHandler<typeof subscription, AppEnv> = async (c) =>
  c.json(await subscriptionView(pool(c), c.get("tenantId")), 200);

export const usageHandler: RouteHandler<typeof usage, AppEnv> = async (c) => c.json(await usageView(pool(c), c.get("tenantId")), 200);
