import { createRouter } from "../../lib/app";
import { cancelHandler, historyHandler, startHandler, statusHandler } from "./extraction.handlers";
import { cancelExtraction, extractionHistory, extractionStatus, startExtraction } from "./extraction.routes";

export const extractionRouter = createRouter()
  .openapi(startExtraction, startHandler)
  .openapi(extractionStatus, statusHandler)
  .openapi(extractionHistory, historyHandler)
  .openapi(cancelExtraction, cancelHandler);
