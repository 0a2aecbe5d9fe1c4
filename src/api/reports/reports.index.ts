import { createRouter } from "../../lib/app";
import * as h from "./reports.handlers";
import * as r from "./reports.routes";
import * as ch from "./community.handlers";
import * as cr from "./community.routes";

// Casts: the handlers share one loose type (see reports.handlers.ts); validation still runs per route.
export const reportsRouter = createRouter()
  .openapi(r.interactions, h.interactionsHandler as never)
  .openapi(r.activityLevels, h.activityLevelsHandler as never)
  .openapi(r.daily, h.dailyHandler as never)
  .openapi(r.heatmap, h.heatmapHandler as never)
  .openapi(r.reactions, h.reactionsHandler as never)
  .openapi(r.channels, h.channelsHandler as never)
  .openapi(r.responseTime, h.responseTimeHandler as never)
  .openapi(r.retention, h.retentionHandler as never)
  .openapi(r.members, h.membersHandler as never)
  .openapi(r.member, h.memberHandler as never)
  .openapi(cr.drivers, ch.driversHandler as never)
  .openapi(cr.influence, ch.influenceHandler as never)
  .openapi(cr.bridging, ch.bridgingHandler as never)
  .openapi(cr.newcomers, ch.newcomersHandler as never)
  .openapi(cr.memberGrowth, ch.memberGrowthHandler as never);
