import type { RouteHandler } from "@hono/zod-openapi";
import { requireSetting } from "../../config";
import { config, type AppEnv } from "../../lib/app";
import type { publicConfig } from "./config.routes";

export const publicConfigHandler: RouteHandler<typeof publicConfig, AppEnv> = (c) => {
  const cfg = config(c);
  const clerkPublishableKey = cfg.AUTH_MODE === "clerk" ? requireSetting(cfg, "CLERK_PUBLISHABLE_KEY") : null;
  return c.json({ authMode: cfg.AUTH_MODE, clerkPublishableKey }, 200);
};
