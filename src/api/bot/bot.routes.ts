import { z } from "@hono/zod-openapi";
import type { BotStatus, GuildSummary } from "../../accounts/bot";
import { errorResponses, shapeOf, json, jsonBody, route } from "../schemas";

const GuildSchema = shapeOf<GuildSummary>()(
  z
    .object({
      id: z.string(),
      name: z.string(),
      icon: z.string().nullable(),
      member_count: z.number().nullable(),
      channels_total: z.number().nullable().openapi({ description: "Channels and threads-capable channels with history" }),
      channels_readable: z
        .number()
        .nullable()
        .openapi({ description: "Of those, how many the bot may read (VIEW_CHANNEL + READ_MESSAGE_HISTORY)" }),
      members_intent: z.boolean().nullable().openapi({ description: "false: the member list is refused (Server Members intent off)" }),
      note: z.string().optional(),
    })
    .openapi("BotGuild"),
);

export const BotStatusSchema = shapeOf<BotStatus>()(
  z
    .object({
      connected: z.boolean(),
      bot: z.object({ id: z.string(), username: z.string() }).optional(),
      guilds: z.array(GuildSchema).optional(),
      connected_at: z.string().optional(),
      checked_at: z.string().optional(),
    })
    .openapi("BotStatus"),
);

export const connect = route("Bot", "post", "/api/bot/connect", {
  summary: "Connect a Discord bot: checks the token with Discord, stores it encrypted, lists its servers",
  request: jsonBody(
    z.object({
      token: z
        .string()
        .trim()
        .min(10, "a Discord bot token is at least 10 characters")
        .max(200)
        .regex(/^[A-Za-z0-9._-]+$/, "a Discord bot token has only letters, digits, '.', '_' and '-'")
        .openapi({ description: "The bot token from the Discord developer portal (never returned)" }),
    }),
  ),
  responses: {
    200: json("Connected", BotStatusSchema),
    ...errorResponses(400, 401, 502),
  },
});

export const status = route("Bot", "get", "/api/bot/status", {
  summary: "Whether a bot is connected, which one, and the servers it is in (never the token)",
  responses: { 200: json("Status", BotStatusSchema), ...errorResponses(401) },
});

export const disconnect = route("Bot", "delete", "/api/bot/disconnect", {
  summary: "Forget the bot token",
  responses: {
    200: json("Disconnected", z.object({ disconnected: z.boolean() })),
    ...errorResponses(401),
  },
});
