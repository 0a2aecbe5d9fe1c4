import { createRouter } from "../../lib/app";
import { publicConfigHandler } from "./config.handlers";
import { publicConfig } from "./config.routes";

export const configRouter = createRouter().openapi(publicConfig, publicConfigHandler);
