// Helpers for simulator tests: call the in-process API like an HTTP client would.
import { createSimulatorApi, generateWorld, type SimulatorApiOptions, type WorldOptions } from "../../src/simulator/index";

export const NOW = Date.parse("2026-06-15T12:00:00Z");

export function makeSim(world: Partial<WorldOptions> = {}, api: SimulatorApiOptions = { rateLimits: false }) {
  const w = generateWorld({ now: NOW, ...world });
  const sim = createSimulatorApi(w, api);
  const token = w.tokens[0].token;
  const get = async (path: string, tok: string | null = token) => {
    const res = await sim.fetch(new Request(`http://sim.test/api/v10${path}`, { headers: tok ? { Authorization: `Bot ${tok}` } : {} }));
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, headers: res.headers, body };
  };
  const guild = w.guilds[0];
  const channel = (name: string) => [...guild.channels.values()].find((c) => c.name === name && !c.thread)!;
  return { sim, world: w, token, get, guild, channel };
}

/** Walks a channel's history with `before`, newest first, exactly as an extractor does. */
export async function pageAll(get: (p: string) => Promise<{ status: number; body: any }>, channelId: string, limit = 100): Promise<any[]> {
  const out: any[] = [];
  let before: string | undefined;
  for (;;) {
    const res = await get(`/channels/${channelId}/messages?limit=${limit}${before ? `&before=${before}` : ""}`);
    if (res.status !== 200) throw new Error(`page failed ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...res.body);
    if (res.body.length < limit) return out;
    before = res.body.at(-1).id;
  }
}
