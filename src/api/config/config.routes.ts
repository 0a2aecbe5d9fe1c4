import { z } from "@hono/zod-openapi";
import { json, route } from "../schemas";

export const PublicConfigSchema = z
  .object({
    authMode: z.enum(["clerk", "local"]),
    /** Clerk's publishable key (public by design), for the dashboard's sign-in; null in local mode. */
    clerkPublishableKey: z.string().nullable(),
  })
  .openapi("PublicConfig");

export const publicConfig = route("Health", "get", "/api/config", {
  summary: "What the dashboard needs before sign-in",
  responses: { 200: json("Public configuration", PublicConfigSchema) },
});
