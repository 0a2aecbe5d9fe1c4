// The Stripe client for Workers: fetch-based HTTP and WebCrypto signatures. STRIPE_API_HOST points
// it at the local stand-in (scripts/lib/stripe-standin.ts) in tests and development only.
import Stripe from "stripe";
import { ConfigError, requireSetting, type Config } from "../config";

export function stripeClient(config: Config): Stripe {
  const key = requireSetting(config, "STRIPE_SECRET_KEY");
  const opts: Stripe.StripeConfig = { httpClient: Stripe.createFetchHttpClient(), maxNetworkRetries: 2, timeout: 10_000 };
  if (config.STRIPE_API_HOST) {
    if (config.APP_ENV === "production") {
      throw new ConfigError("STRIPE_API_HOST is for local tests and is refused when APP_ENV=production", "STRIPE_API_HOST");
    }
    const [host, port] = config.STRIPE_API_HOST.split(":");
    Object.assign(opts, { host, port: Number(port || 80), protocol: "http" });
  }
  return new Stripe(key, opts);
}

export const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** Verifies a webhook delivery (signature and a 5-minute timestamp tolerance) and parses it. */
export async function verifyStripeEvent(config: Config, body: string, signature: string | undefined): Promise<Stripe.Event> {
  const secret = requireSetting(config, "STRIPE_WEBHOOK_SECRET");
  return Stripe.webhooks.constructEventAsync(body, signature ?? "", secret, 300, cryptoProvider);
}
