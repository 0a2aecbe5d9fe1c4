import { createRouter } from "../../lib/app";
import * as h from "./reports.handlers";
import * as r from "./reports.routes";
import * as ch from "./community.handlers";

export const reportsRouter = createRouter()
  .openapi(r.interactions, h.interactionsHandler)
  .openapi(r.activityLevels, h.activityLevelsHandler)
  .openapi(r.daily, h.dailyHandler)
  .openapi(r.heatmap, h.heatmapHandler)
  .openapi(r.overview, h.overviewHandler)
  .openapi(r.reactions, h.reactionsHandler)
  .openapi(r.channels, h.channelsHandler)
  .openapi(r.responseTime, h.responseTimeHandler)
  .openapi(r.retention, h.retentionHandler)
  .openapi(r.members, h.membersHandler)
  .openapi(r.member, h.memberHandler)
  .openapi(r.drivers, ch.driversHandler)
  .openapi(r.influence, ch.influenceHandler)
  .openapi(r.bridging, ch.bridgingHandler)
  .openapi(r.newcomers, ch.newcomersHandler)
  .openapi(r.memberGrowth, ch.memberGrowthHandler);
