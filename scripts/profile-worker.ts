// Where the Worker's CPU goes while it runs (the queue consumers and the tenant DO share one isolate
// in `wrangler dev`): a CPU profile taken through wrangler dev's inspector, printed as self time per
// function, the callers of the top native functions, and inclusive time. Start the load first, e.g.
// `DATABASE_URL=... npm run bench:extract -- --production-only`, then, once the sync runs:
//   node --import tsx scripts/profile-worker.ts [--ms 30000] [--port 9229]
// Only 127.0.0.1 is contacted; it stops by itself after --ms.
import WebSocket from "ws";
import { OneLineError, runMain } from "../src/node/database";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function parseArgs(argv: string[]): { ms: number; port: number } {
  const a = { ms: 30_000, port: 9229 };
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    if (argv[i] === "--ms" && v > 0) a.ms = v;
    else if (argv[i] === "--port" && v > 0) a.port = v;
    else throw new OneLineError(`unknown argument ${argv[i]} (see the header of scripts/profile-worker.ts)`);
    i++;
  }
  return a;
}

async function takeProfile(port: number, ms: number): Promise<Profile> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  if (!targets[0]) throw new OneLineError(`no inspector target on 127.0.0.1:${port}: is wrangler dev running?`);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let id = 0;
  const pending = new Map<number, (m: { result?: unknown }) => void>();
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<{ result?: unknown }>((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("Profiler.enable");
    await call("Profiler.setSamplingInterval", { interval: 1000 });
    await call("Profiler.start");
    await new Promise((r) => setTimeout(r, ms));
    return ((await call("Profiler.stop")).result as { profile: Profile }).profile;
  } finally {
    ws.close();
  }
}

const label = (f: CallFrame) => `${f.functionName || "(anonymous)"} ${f.url.split("/").at(-1) ?? ""}:${f.lineNumber + 1}`;

function report(p: Profile, ms: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (const [i, s] of p.samples.entries()) selfUs.set(s, (selfUs.get(s) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const row = (us: number, what: string) =>
    `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${what}`;
  const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [nid, us] of selfUs) {
    const key = label(byId.get(nid)!.callFrame);
    self.set(key, (self.get(key) ?? 0) + us);
    // Each function once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let cur: number | undefined = nid; cur !== undefined; cur = parent.get(cur)) {
      const k = label(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  console.log(`sampled ${(total / 1e6).toFixed(1)} s of CPU over ${(ms / 1000).toFixed(0)} s ("(idle)" is the isolate waiting)`);
  console.log("\nself time:");
  for (const [k, us] of top(self, 30)) console.log(row(us, k));
  console.log("\ncallers of the top native functions (no source line):");
  for (const [k] of top(self, 30).filter(([k]) => /:0$/.test(k) && !k.startsWith("("))) {
    const chains = new Map<string, number>();
    for (const [nid, us] of selfUs) {
      if (label(byId.get(nid)!.callFrame) !== k) continue;
      const names: string[] = [];
      for (let cur = parent.get(nid); cur !== undefined && names.length < 4; cur = parent.get(cur))
        names.push(label(byId.get(cur)!.callFrame));
      const chain = names.join(" < ");
      chains.set(chain, (chains.get(chain) ?? 0) + us);
    }
    console.log(`  ${k}`);
    for (const [chain, us] of top(chains, 3)) console.log(`  ${row(us, chain)}`);
  }
  console.log("\ninclusive time:");
  for (const [k, us] of top(inclusive, 30)) console.log(row(us, k));
}

runMain(async () => {
  const { ms, port } = parseArgs(process.argv.slice(2));
  report(await takeProfile(port, ms), ms);
});
