import { createRouter } from "../../lib/app";
import { getHandler, putHandler } from "./settings.handlers";
import { getAnalyticsSettings, putAnalyticsSettings } from "./settings.routes";

export const settingsRouter = createRouter().openapi(getAnalyticsSettings, getHandler).openapi(putAnalyticsSettings, putHandler);
