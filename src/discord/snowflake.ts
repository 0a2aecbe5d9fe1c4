// Discord ids (snowflakes), pure: the one rule for a well-formed id (API, refresh, the Discord client,
// the CLI) and the one conversion between an id and its creation time. The simulator keeps its own id
// arithmetic on purpose (src/simulator/snowflake.ts): it is the fake Discord and the ground truth.

/** Largest Discord id PostgreSQL's bigint holds (ids are stored as bigint). */
export const SNOWFLAKE_MAX = (1n << 63n) - 1n;
/** The decimal shape of an id (the OpenAPI pattern); isSnowflake adds the bigint bound. */
export const SNOWFLAKE_SHAPE = /^[1-9][0-9]{0,18}$/;

/**
 * A Discord id in canonical decimal, 1..2^63-1. A leading zero is refused (the id would come back
 * without it); the BigInt check catches the 19-digit values above the bigint range that a digit-count
 * rule lets through.
 */
export function isSnowflake(s: unknown): s is string {
  return typeof s === "string" && SNOWFLAKE_SHAPE.test(s) && BigInt(s) <= SNOWFLAKE_MAX;
}

/** 2015-01-01T00:00:00Z: the instant a snowflake's timestamp bits count from. */
export const DISCORD_EPOCH = 1420070400000;

/** When the id was created (ms since 1970). */
export function snowflakeMs(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}
/** When the id was created, as an ISO instant. */
export function snowflakeTime(id: string): string {
  return new Date(snowflakeMs(id)).toISOString();
}
/** The smallest snowflake created at or after `ms`: id >= snowflakeAt(t) <=> created at or after t. */
export function snowflakeAt(ms: number): string {
  return ms <= DISCORD_EPOCH ? "0" : (BigInt(Math.floor(ms) - DISCORD_EPOCH) << 22n).toString();
}
