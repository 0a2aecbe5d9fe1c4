import { rateLimited } from "../../auth/rate-limit";
import { createRouter } from "../../lib/app";
import { cancelHandler, historyHandler, startHandler, statusHandler } from "./extraction.handlers";
import { cancelExtraction, extractionHistory, extractionStatus, startExtraction } from "./extraction.routes";

// Rate-limited after validation: a malformed request costs no token and no database work.
export const extractionRouter = createRouter()
  .openapi(startExtraction, rateLimited("extraction", startHandler))
  .openapi(extractionStatus, rateLimited("extraction", statusHandler))
  .openapi(extractionHistory, rateLimited("extraction", historyHandler))
  .openapi(cancelExtraction, rateLimited("extraction", cancelHandler));
