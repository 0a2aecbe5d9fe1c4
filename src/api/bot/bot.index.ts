import { createRouter } from "../../lib/app";
import { connectHandler, disconnectHandler, statusHandler } from "./bot.handlers";
import { connect, disconnect, status } from "./bot.routes";

export const botRouter = createRouter()
  .openapi(connect, connectHandler)
  .openapi(status, statusHandler)
  .openapi(disconnect, disconnectHandler);
