import type { RouteHandler } from "@hono/zod-openapi";
import { botStatus, connectBot, disconnectBot } from "../../accounts/bot";
import { config, pool, type AppEnv } from "../../lib/app";
import type { connect, disconnect, status } from "./bot.routes";

export const connectHandler: RouteHandler<typeof connect, AppEnv> = async (c) => {
  const { token } = c.req.valid("json");
  return c.json(await connectBot(pool(c), config(c), c.get("tenantId"), token), 200);
};

export const statusHandler: RouteHandler<typeof status, AppEnv> = async (c) => c.json(await botStatus(pool(c), c.get("tenantId")), 200);

export const disconnectHandler: RouteHandler<typeof disconnect, AppEnv> = async (c) =>
  c.json({ disconnected: await disconnectBot(pool(c), c.get("tenantId")) }, 200);
