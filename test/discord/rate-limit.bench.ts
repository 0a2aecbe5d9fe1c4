// Benchmark of the rate-limit state machine: the cost the tenant's Durable Object pays per Discord
// request (reserve + observe), and of persisting the state (toJSON/fromJSON).
// Rerun: node_modules/.bin/node --import tsx test/discord/rate-limit.bench.ts
import { RateLimitState, type RateLimitObservation } from "../../src/discord/rate-limit";

const N = 200_000;
const CHANNELS = 200;

function timeIt(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

// Baseline: the least any limiter must do per request (count it in a map, read a number back).
function baseline(): void {
  const counts = new Map<string, number>();
  let now = 0;
  for (let i = 0; i < N; i++) {
    const key = `GET /channels/${i % CHANNELS}/messages`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    now += 0.02;
  }
  if (counts.size !== CHANNELS || now < 0) throw new Error("unreachable");
}

function stateMachine(): RateLimitState {
  const s = new RateLimitState(); // Discord defaults: 50/s global
  let now = 1_800_000_000_000;
  let granted = 0;
  for (let i = 0; i < N; i++) {
    const key = `GET /channels/${i % CHANNELS}/messages`;
    const wait = s.reserve(key, now);
    if (wait === 0) {
      granted++;
      const obs: RateLimitObservation = {
        status: 200,
        bucket: "b",
        limit: 1000,
        remaining: 999 - (((i / CHANNELS) | 0) % 1000),
        resetAfter: 5,
        reset: Math.floor(now / 5_000_000) * 5000 + 5000,
      };
      s.observe(key, obs, now);
    }
    now += 20; // 50 requests per second: every reserve is granted
  }
  if (granted !== N) throw new Error(`only ${granted} of ${N} granted`);
  if (s.toJSON().global.length > 50) throw new Error("global window over 50");
  return s;
}

const base = timeIt(baseline);
let state!: RateLimitState;
const sm = timeIt(() => (state = stateMachine()));
let json = "";
const ser = timeIt(() => {
  for (let i = 0; i < 100; i++) json = JSON.stringify(state);
});
const de = timeIt(() => {
  for (let i = 0; i < 100; i++) RateLimitState.fromJSON(JSON.parse(json));
});

const rows = [
  ["baseline map counter", N, base, 1],
  ["reserve + observe", N, sm, sm / base],
  [`toJSON (${CHANNELS} buckets, ${json.length} B)`, 100, ser, NaN],
  ["fromJSON", 100, de, NaN],
] as const;
console.log("| operation | ops | total ms | µs/op | ratio to baseline |");
console.log("|---|---|---|---|---|");
for (const [name, ops, ms, ratio] of rows) {
  console.log(
    `| ${name} | ${ops} | ${ms.toFixed(1)} | ${((ms * 1000) / ops).toFixed(2)} | ${Number.isNaN(ratio) ? "-" : ratio.toFixed(1) + "x"} |`,
  );
}
console.log("rerun: node_modules/.bin/node --import tsx test/discord/rate-limit.bench.ts");
