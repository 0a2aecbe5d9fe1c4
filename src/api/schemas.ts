// The API's shared request building blocks: ids, days, instants, pages, free text and the error
// responses. Every route validates with these, so one rule holds at every edge; the CLI uses the
// same pure predicates. A value that passes here is one PostgreSQL accepts (bad input is a 400
// naming the field, never a database 500).
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { isSnowflake, SNOWFLAKE_MAX, SNOWFLAKE_SHAPE } from "../discord/snowflake";
import { errorSchema } from "../lib/openapi";

export { errorSchema };

// ---------------------------------------------------------------- snowflakes

// The rule itself (isSnowflake, 1..2^63-1) is src/discord/snowflake.ts, shared with the domain.
export const SNOWFLAKE_RULE = `must be a Discord id: digits only, no leading zero, from 1 to ${SNOWFLAKE_MAX}`;

export const snowflake = z
  .string()
  .refine(isSnowflake, SNOWFLAKE_RULE)
  .openapi({ pattern: SNOWFLAKE_SHAPE.source, example: "123456789012345678", description: "Discord id (1 to 2^63-1, decimal)" });

/** At most this many ids in one comma-separated list (a query string, not a bulk API). */
export const SNOWFLAKE_LIST_MAX = 500;

/** Comma-separated Discord ids (query strings), parsed to an array. */
export const snowflakeList = z
  .string()
  .refine(
    (s) => {
      const parts = s.split(",");
      return parts.length <= SNOWFLAKE_LIST_MAX && parts.every(isSnowflake);
    },
    `must be comma-separated Discord ids (at most ${SNOWFLAKE_LIST_MAX}), each ${SNOWFLAKE_RULE.replace(/^must be /, "")}`,
  )
  .transform((s) => s.split(","));

// ---------------------------------------------------------------- days and instants

/** No Discord data is older than Discord's epoch; an earlier day is a typo, not a filter. */
export const DAY_MIN = "2015-01-01";
/** The last day with a four-digit year (PostgreSQL and JavaScript agree up to here). */
export const DAY_MAX = "9999-12-31";
const DAY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
export const DAY_RULE = `must be a calendar day YYYY-MM-DD from ${DAY_MIN} to ${DAY_MAX}`;

/** Pure: a real calendar day (no 2026-02-30) as YYYY-MM-DD, within DAY_MIN..DAY_MAX. */
export function isDay(s: unknown): s is string {
  if (typeof s !== "string" || !DAY_SHAPE.test(s) || s < DAY_MIN || s > DAY_MAX) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

export const day = z.string().refine(isDay, DAY_RULE).openapi({ format: "date", example: "2026-11-30" });

/** The from/to fields of a day range; use with `checkDayRange` on the object that holds them. */
export const dayRangeFields = {
  from: day.optional().openapi({ description: "First UTC day, inclusive" }),
  to: day.optional().openapi({ description: "Last UTC day, inclusive" }),
};

/** Object-level check for dayRangeFields: from <= to (ISO days compare as strings). */
export function checkDayRange(v: { from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (v.from && v.to && v.from > v.to) ctx.addIssue({ code: "custom", path: ["from"], message: "must not be after to" });
}

const INSTANT_MIN = Date.parse(`${DAY_MIN}T00:00:00Z`);
const INSTANT_MAX = Date.parse(`${DAY_MAX}T23:59:59.999Z`);
export const INSTANT_RULE = `must be an ISO 8601 time with offset (2026-11-30T12:00:00Z) from ${DAY_MIN} to ${DAY_MAX}`;

/** Pure: an ISO 8601 instant with offset within the day range. */
export function isInstant(s: unknown): s is string {
  if (typeof s !== "string" || !z.iso.datetime({ offset: true }).safeParse(s).success) return false;
  const t = Date.parse(s);
  return t >= INSTANT_MIN && t <= INSTANT_MAX;
}

export const instant = z.string().refine(isInstant, INSTANT_RULE).openapi({ format: "date-time", example: "2026-11-30T12:00:00Z" });

// ---------------------------------------------------------------- numbers and pages

/** PostgreSQL integer's upper bound: counts and thresholds beyond it cannot reach a query. */
export const INT4_MAX = 2_147_483_647;

/** A whole number from a query string, bounded so it fits the integer columns it is compared with. */
export const queryInt = (min: number, max = INT4_MAX) => z.coerce.number().int().min(min).max(max);

/** Page size of a list: 1..max, default `def`. */
export const pageLimit = (max: number, def: number) => queryInt(1, max).default(def);

/** Rows to skip in a list. */
export const pageOffset = queryInt(0, 1_000_000).default(0);

export const queryBool = z.enum(["true", "false"]).transform((v) => v === "true");

// ---------------------------------------------------------------- text

/** Pure: text PostgreSQL can store: no NUL, no unpaired UTF-16 surrogate. */
export function isWellFormedText(s: string): boolean {
  return !s.includes("\u0000") && !LONE_SURROGATE.test(s);
}
// Without the u flag a regex sees UTF-16 code units: a high surrogate not followed by a low one,
// or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const WELL_FORMED_RULE = "must be well-formed text (no NUL character, no unpaired UTF-16 surrogate)";

/** Free text of at most `max` characters that PostgreSQL can store. */
export const text = (max: number) => z.string().max(max).refine(isWellFormedText, WELL_FORMED_RULE);

// ---------------------------------------------------------------- responses

/** One route of the contract: its group (the OpenAPI tag), method and path, then summary, request and responses. */
export function route<M extends "get" | "post" | "put" | "delete", P extends string, R extends Omit<RouteConfig, "method" | "path">>(
  tag: string,
  method: M,
  path: P,
  rest: R,
) {
  return createRoute({ tags: [tag], method, path, ...rest });
}

/** A JSON response: its description and schema. */
export function json<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { "application/json": { schema } } };
}

/** A route's required JSON request body. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return { body: { required: true as const, content: { "application/json": { schema } } } };
}

/** The one error body for each status code a route can answer with. */
export function errorResponses<C extends number>(
  ...codes: C[]
): Record<C, { description: string; content: { "application/json": { schema: typeof errorSchema } } }> {
  return Object.fromEntries(codes.map((c) => [c, json(ERROR_DESCRIPTIONS[c] ?? "Error", errorSchema)])) as never;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input (error.field names the field at fault)",
  401: "Not signed in",
  402: "Over a plan limit",
  404: "Not found for this account",
  409: "Conflicts with the current state",
  429: "Rate limited (Retry-After)",
  502: "An upstream service failed",
};

// ---------------------------------------------------------------- contract checks

/** True when A and B are assignable both ways (the same shape for every caller). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * Compile-time: the schema's output is exactly the domain type T, so a response schema cannot drift
 * from what the domain returns. `shapeOf<DayRow>()(z.object({...}))` fails to type-check on any
 * missing, extra or differently typed field and returns the schema unchanged.
 */
export const shapeOf =
  <T>() =>
  <S extends z.ZodType>(
    schema: S & (Same<z.output<S>, T> extends true ? unknown : { "schema does not match the domain type": [z.output<S>, T] }),
  ): S =>
    schema;
