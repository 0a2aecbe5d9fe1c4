import { Hono } from "hono";
import type { AppEnv } from "../../lib/app";
import { clerkWebhook, stripeWebhook } from "./webhooks.handlers";

// Plain routes (not OpenAPI): the body must be read raw for signature checks.
export const webhooksRouter = new Hono<AppEnv>().post("/webhooks/clerk", clerkWebhook).post("/webhooks/stripe", stripeWebhook);
