import { createRoute, z } from "@hono/zod-openapi";
import { json } from "../schemas";

export const PublicConfigSchema = z
  .object({
    authMode: z.enum(["clerk", "local"]),
    /** Clerk's publishable key (public by design), for the dashboard's sign-in; null in local mode. */
    clerkPublishableKey: z.string().nullable(),
  })
  .openapi("PublicConfig");

export const publicConfig = createRoute({
  method: "get",
  path: "/api/config",
  tags: ["Health"],
  summary: "What the dashboard needs before sign-in",
  responses: { 200: json("Public configuration", PublicConfigSchema) },
});
