import { z } from "@hono/zod-openapi";
import { errorResponses, instant, pageLimit, snowflake, json, jsonBody, route } from "../schemas";

const JOB_STATES = ["queued", "running", "cancelling", "cancelled", "succeeded", "partially_succeeded", "failed"] as const;

const ChannelProgressSchema = z.object({
  channel_id: z.string(),
  name: z.string().nullable().optional(),
  status: z.enum(["pending", "running", "done", "skipped", "failed"]),
  pages: z.number().int(),
  messages: z.number().int(),
  error: z.string().nullable(),
});

const jobFields = {
  id: z.string().uuid(),
  server_id: z.string(),
  state: z.enum(JOB_STATES),
  trigger: z.enum(["manual", "schedule", "retry", "cli"]),
  sync_days: z.number().int().nullable().openapi({ description: "null: all history" }),
  window_start: z.string().nullable().openapi({ description: "oldest message time covered; null: all history" }),
  fetch_reactions: z.boolean(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  error: z.string().nullable(),
  counts: z.record(z.string(), z.number()).openapi({ description: "rows written per table" }),
  pages: z.object({ done: z.number().int(), failed: z.number().int(), outstanding: z.number().int() }),
  requests: z.number().int().openapi({ description: "Discord requests sent" }),
  rate: z.object({ pages_per_second: z.number(), requests_per_second: z.number() }),
  estimated_seconds_left: z.number().nullable().openapi({ description: "null while there is no rate to estimate from" }),
  progress: z
    .object({ fraction: z.number(), pages_estimated: z.number().int() })
    .openapi({ description: "share done, from each channel's covered time range" }),
  refresh: z
    .object({
      state: z.enum(["running", "done", "failed"]),
      mode: z.string().nullable(),
      phase: z.string().nullable(),
      done: z.number().int(),
      total: z.number().int(),
    })
    .nullable()
    .openapi({ description: "the analytics refresh after the sync; null until it starts" }),
};

export const JobSummarySchema = z.object(jobFields).openapi("SyncJobSummary");
export const JobSchema = z
  .object({
    ...jobFields,
    warnings: z.array(z.string()),
    errors: z.array(z.string()),
    channels: z.array(ChannelProgressSchema),
  })
  .openapi("SyncJob");

const JobBody = z.object({ job: JobSchema });
const errors = errorResponses(400, 404);

const JobIdParams = z.object({
  job_id: z
    .string()
    .uuid()
    .openapi({ param: { name: "job_id", in: "path" }, example: "7b0e5b8e-2f4b-4f51-9a39-6f1c1f0d6b9e" }),
});

export const startExtraction = route("Extraction", "post", "/api/extraction/start", {
  summary: "Start a sync of one Discord server",
  request: jsonBody(
    z.object({
      server_id: snowflake,
      sync_days: z.number().int().min(1).max(3650).optional().openapi({ description: "days of history; default: the plan's window" }),
      fetch_reactions: z.boolean().default(true),
      full: z
        .boolean()
        .default(false)
        .openapi({ description: "deep re-scan: walk every channel to the window start (finds deletions of old messages)" }),
    }),
  ),
  responses: {
    202: json("Sync queued", JobBody),
    ...errorResponses(400, 402),
    409: { ...errorResponses(409)[409], description: "No bot connected, or a sync of this server is already running (details.job_id)" },
  },
});

export const extractionStatus = route("Extraction", "get", "/api/extraction/status/{job_id}", {
  summary: "Live state of a sync job",
  request: { params: JobIdParams },
  responses: { 200: json("The job", JobBody), ...errors },
});

export const extractionHistory = route("Extraction", "get", "/api/extraction/history", {
  summary: "The tenant's sync jobs, newest first",
  request: {
    query: z.object({
      limit: pageLimit(100, 20),
      before: instant.optional().openapi({ description: "next_before of the previous page" }),
    }),
  },
  responses: {
    200: json("One page of jobs", z.object({ jobs: z.array(JobSummarySchema), next_before: z.string().nullable() })),
    ...errorResponses(400),
  },
});

export const cancelExtraction = route("Extraction", "post", "/api/extraction/cancel/{job_id}", {
  summary: "Cancel a running sync",
  request: { params: JobIdParams },
  responses: {
    200: json("Cancelled", JobBody),
    ...errors,
    409: { ...errorResponses(409)[409], description: "The job already ended" },
  },
});
