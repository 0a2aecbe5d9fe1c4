import { createRouter } from "../../lib/app";
import * as h from "./reports.handlers";
import * as r from "./reports.routes";
import * as ch from "./community.handlers";
import * as cr from "./community.routes";

export const reportsRouter = createRouter()
  .openapi(r.interactions, h.interactionsHandler)
  .openapi(r.activityLevels, h.activityLevelsHandler)
  .openapi(r.daily, h.dailyHandler)
  .openapi(r.heatmap, h.heatmapHandler)
  .openapi(r.reactions, h.reactionsHandler)
  .openapi(r.channels, h.channelsHandler)
  .openapi(r.responseTime, h.responseTimeHandler)
  .openapi(r.retention, h.retentionHandler)
  .openapi(r.members, h.membersHandler)
  .openapi(r.member, h.memberHandler)
  .openapi(cr.drivers, ch.driversHandler)
  .openapi(cr.influence, ch.influenceHandler)
  .openapi(cr.bridging, ch.bridgingHandler)
  .openapi(cr.newcomers, ch.newcomersHandler)
  .openapi(cr.memberGrowth, ch.memberGrowthHandler);
