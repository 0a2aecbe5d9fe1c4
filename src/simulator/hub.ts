// Several isolated simulators behind one origin, so test files running in parallel do not reset each
// other's world: `/i/<name>/api/v10/...` and `/i/<name>/__sim/...`; the unprefixed paths are "default".
import { createSimulatorApi, type ResetOptions, type SimulatorApi, type SimulatorApiOptions } from "./api";
import { generateWorld } from "./generate";

export interface SimulatorHub {
  fetch(req: Request): Promise<Response>;
  instance(name?: string): SimulatorApi | undefined;
}

export function createSimulatorHub(
  defaults: ResetOptions = {},
  apiOptions: Omit<SimulatorApiOptions, "rateLimits" | "faults"> = {},
): SimulatorHub {
  const instances = new Map<string, SimulatorApi>();
  const make = (opts: ResetOptions) => {
    const { rateLimits, faults, ...worldOpts } = opts;
    return createSimulatorApi(generateWorld(worldOpts), { ...apiOptions, rateLimits, faults });
  };
  instances.set("default", make(defaults));
  return {
    instance: (name = "default") => instances.get(name),
    async fetch(req: Request): Promise<Response> {
      const url = new URL(req.url);
      const m = /^\/i\/([A-Za-z0-9_.-]{1,64})(\/.*)$/.exec(url.pathname);
      if (!m) return instances.get("default")!.fetch(req);
      const [, name, rest] = m;
      let api = instances.get(name);
      if (!api) {
        // An instance comes into being with its first reset; until then its API answers 404.
        if (!(req.method === "POST" && rest === "/__sim/reset")) {
          return new Response(JSON.stringify({ error: `unknown simulator instance ${name}: POST /i/${name}/__sim/reset first` }), {
            status: 404,
            headers: { "Content-Type": "application/json" },
          });
        }
        api = make({ ...defaults });
        instances.set(name, api);
      }
      url.pathname = rest;
      return api.fetch(new Request(url, req));
    },
  };
}
