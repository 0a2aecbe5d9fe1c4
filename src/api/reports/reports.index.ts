import { createRouter } from "../../lib/app";
import * as h from "./reports.handlers";
import * as r from "./reports.routes";

export const reportsRouter = createRouter()
  .openapi(r.interactions, h.interactionsHandler)
  .openapi(r.activityLevels, h.activityLevelsHandler)
  .openapi(r.daily, h.dailyHandler)
  .openapi(r.heatmap, h.heatmapHandler)
  .openapi(r.overview, h.overviewHandler)
  .openapi(r.reactions, h.reactionsHandler)
  .openapi(r.channels, h.channelsHandler)
  .openapi(r.channelList, h.channelListHandler)
  .openapi(r.responseTime, h.responseTimeHandler)
  .openapi(r.retention, h.retentionHandler)
  .openapi(r.members, h.membersHandler)
  .openapi(r.member, h.memberHandler)
  .openapi(r.drivers, h.driversHandler)
  .openapi(r.influence, h.influenceHandler)
  .openapi(r.bridging, h.bridgingHandler)
  .openapi(r.newcomers, h.newcomersHandler)
  .openapi(r.memberGrowth, h.memberGrowthHandler);
