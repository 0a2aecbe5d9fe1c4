// Reports over one server of one tenant. Each runs in a READ ONLY tenant transaction and reads the
// precomputed tables (refresh.ts) where they answer the question; filters the precomputed grain
// cannot express (channel or date filters on all-time interaction pairs) fall back to the base
// tables, and the response says which source answered. One file per report; filters.ts is shared.
export { DEFAULT_THRESHOLDS, levelOf, LEVELS, type Level, type LevelThresholds } from "../levels";
export type { ReportFilters, Report } from "./filters";
export { lastDays } from "./filters";
export * from "./interactions";
export * from "./member-rows";
export * from "./activity-levels";
export * from "./members";
export * from "./daily";
export * from "./heatmap";
export * from "./reactions";
export * from "./channels";
export * from "./response-times";
export * from "./retention";
export * from "./member-detail";
export * from "./graph";
export * from "./drivers";
export * from "./influence";
export * from "./bridging";
export * from "./newcomers";
export * from "./member-growth";
export * from "./overview";
