// Discord REST client, rate limits and permission maths: the only module that talks to Discord.
export * from "./client";
export * from "./errors";
export * from "./permissions";
export * from "./rate-limit";
export * from "./routes";
