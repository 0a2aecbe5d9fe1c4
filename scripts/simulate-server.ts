// Runs the Discord simulator standalone (--help lists the options). Its default port is 8789, not
// 8787, which `npm start` takes for the dashboard.
// Benchmark (generation, ground truth, page serving in-process and over loopback HTTP):
//   node --import tsx scripts/simulate-server.ts --bench [--users 50000 --channels 20 --messages 5000]
import { createSimulatorApi, expectedRows, generateWorld, parseSimulatorArgs, type World } from "../src/simulator/index";
import { renderMessage } from "../src/simulator/render";
import { startSimulatorServer } from "./lib/simulator-server";

const HELP = `node --import tsx scripts/simulate-server.ts [options]
  Serves a generated Discord server through a Discord-compatible API on 127.0.0.1.
  --users N --channels N --days N --seed N   the generated server (as npm run simulate)
  --messages N       messages PER CHANNEL (default 200)
  --port N           port (default 8789; 8787 is npm start's)
  --no-rate-limits   serve without Discord's rate limits
  --bench            benchmark generation and page serving instead of serving`;

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const { options, rest } = parseSimulatorArgs(process.argv.slice(2));
let port = 8789;
let rateLimits = true;
let bench = false;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === "--port") port = Number(rest[++i]);
  else if (rest[i] === "--no-rate-limits") rateLimits = false;
  else if (rest[i] === "--bench") bench = true;
  else {
    console.error(`unknown argument ${rest[i]} (--help lists the options)`);
    process.exit(2);
  }
}

if (bench) await runBench();
else await serve();

async function serve() {
  const started = Date.now();
  const sim = await startSimulatorServer({ port, ...options, rateLimits });
  const summary = sim.hub.instance()!.control.summary() as { token: string; guilds: { id: string; channels: unknown[] }[] };
  console.log(`Discord simulator on ${sim.url}/api/v10 (generated in ${Date.now() - started} ms)`);
  console.log(`guild ${summary.guilds[0].id}, ${summary.guilds[0].channels.length} channels; control API under ${sim.url}/__sim/`);
  console.log(`token: Authorization: Bot ${summary.token}  (simulated test token)`);
  const stop = async () => {
    await sim.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function runBench() {
  const opts = { users: 50_000, channels: 20, messages: 5_000, ...options };
  const cpu = () => process.cpuUsage().user / 1000;
  const time = async (fn: () => unknown) => {
    const t = performance.now();
    const c = cpu();
    await fn();
    return { wall: performance.now() - t, cpu: cpu() - c };
  };
  let world!: World;
  const gen = await time(() => (world = generateWorld(opts)));
  const truth = await time(() => expectedRows(world, { syncDays: opts.days ?? 7 }));
  const guild = world.guilds[0];
  const channel = [...guild.channels.values()].find((c) => c.name === "general")!;
  const api = createSimulatorApi(world, { rateLimits: false });
  const headers = { Authorization: `Bot ${world.tokens[0].token}` };
  const pages = 200;
  const befores = Array.from(
    { length: pages },
    (_, i) => channel.messages[Math.floor(((i + 1) * channel.messages.length) / (pages + 1))].id,
  );
  const served = await time(async () => {
    for (const b of befores)
      await (await api.fetch(new Request(`http://x/api/v10/channels/${channel.id}/messages?limit=100&before=${b}`, { headers }))).text();
  });
  // Baseline: the same pages by a linear scan over the channel, rendered and serialised, without the index.
  const linear = await time(() => {
    for (const b of befores) {
      const page = channel.messages
        .filter((m) => m.idn < BigInt(b))
        .slice(-100)
        .reverse();
      JSON.stringify(page.map((m) => renderMessage(world, guild, m)));
    }
  });
  const server = await startSimulatorServer({ port: 0, rateLimits: false, seed: opts.seed, users: 50, channels: 1, messages: 10 });
  const hub = server.hub.instance()!;
  hub.control.reset({ ...opts, rateLimits: false });
  const w2 = hub.world;
  const ch2 = [...w2.guilds[0].channels.values()].find((c) => c.name === "general")!;
  const h2 = { Authorization: `Bot ${w2.tokens[0].token}` };
  const http = await time(async () => {
    for (let i = 0; i < pages; i++) {
      const b = ch2.messages[Math.floor(((i + 1) * ch2.messages.length) / (pages + 1))].id;
      await (await fetch(`${server.url}/api/v10/channels/${ch2.id}/messages?limit=100&before=${b}`, { headers: h2 })).text();
    }
  });
  await server.close();
  const total = guild.messagesById.size;
  const rows = [
    ["generateWorld", `${total} messages`, gen.wall, gen.cpu, "-"],
    ["expectedRows", "7-day window", truth.wall, truth.cpu, "-"],
    ["pages in-process (index)", `${pages} x 100`, served.wall, served.cpu, "1.00"],
    ["pages linear scan (baseline)", `${pages} x 100`, linear.wall, linear.cpu, (linear.wall / served.wall).toFixed(2)],
    ["pages over loopback HTTP", `${pages} x 100`, http.wall, http.cpu, (http.wall / served.wall).toFixed(2)],
  ];
  console.log(`simulator benchmark: ${JSON.stringify(opts)}`);
  console.log("| step | size | wall ms | cpu ms | ratio vs indexed pages |\n|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r[0]} | ${r[1]} | ${Number(r[2]).toFixed(0)} | ${Number(r[3]).toFixed(0)} | ${r[4]} |`);
  console.log(`pages/s in-process: ${((pages / served.wall) * 1000).toFixed(0)}, over HTTP: ${((pages / http.wall) * 1000).toFixed(0)}`);
  console.log("rerun: node_modules/.bin/node --import tsx scripts/simulate-server.ts --bench");
}
