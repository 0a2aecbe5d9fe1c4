import { createRouter } from "../../lib/app";
import { checkoutHandler, portalHandler, subscriptionHandler, usageHandler } from "./billing.handlers";
import { checkout, portal, subscription, usage } from "./billing.routes";

export const billingRouter = createRouter()
  .openapi(checkout, checkoutHandler)
  .openapi(portal, portalHandler)
  .openapi(subscription, subscriptionHandler)
  .openapi(usage, usageHandler);
