import type { RouteHandler } from "@hono/zod-openapi";
import { getSettings, InvalidSettingError, updateSettings } from "../../analytics/settings";
import { ApiError } from "../../errors";
import { pool, type AppEnv } from "../../lib/app";
import type { getAnalyticsSettings, putAnalyticsSettings } from "./settings.routes";

export const getHandler: RouteHandler<typeof getAnalyticsSettings, AppEnv> = async (c) => {
  return c.json(await getSettings(pool(c), c.get("tenantId")), 200);
};

export const putHandler: RouteHandler<typeof putAnalyticsSettings, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  try {
    return c.json(await updateSettings(pool(c), c.get("tenantId"), body), 200);
  } catch (err) {
    if (err instanceof InvalidSettingError)
      throw new ApiError(400, "invalid_request", err.message, {
        field: err.field === "time_zone" ? "time_zone" : `thresholds.${err.field}`,
      });
    throw err;
  }
};
