// Public surface of the simulator (tests and Node scripts only; production code never imports it).
export { createSimulatorApi, summarize, type ResetOptions, type SimulatorApi, type SimulatorApiOptions, type SimulatorStats } from "./api";
export { parseSimulatorArgs } from "./args";
export { expectedRows, storedMessages, wordCount, type ExpectedRows, type WindowOptions } from "./expected";
export { facts, type Facts } from "./facts";
export { SimulatedConnectionDrop, type FaultConfig, type FaultRule } from "./faults";
export { DEFAULT_TOKEN, WINDOW_GUARD_MS, generateWorld, resolveOptions } from "./generate";
export { createSimulatorHub, type SimulatorHub } from "./hub";
export { ChannelType, DAY, HOUR, isSystemType, type World, type WorldOptions } from "./model";
export type { Mutation } from "./mutate";
export { DEFAULT_RATE_LIMITS, bucketHash, type RateLimitConfig } from "./ratelimit";
export { DISCORD_EPOCH, snowflakeAt, snowflakeTime } from "./snowflake";
