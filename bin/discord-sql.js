#!/usr/bin/env node
// Launcher for the discord-sql command line: runs src/cli/main.ts through tsx on Node >= 22 (the
// repo's node_modules/.bin/node when the current Node is older). Plain JS so it runs before anything
// is compiled; signals are forwarded so Ctrl+C reaches the sync and it can stop cleanly.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const major = Number(process.versions.node.split(".")[0]);
const bundled = join(root, "node_modules", ".bin", process.platform === "win32" ? "node.cmd" : "node");
const node = major >= 22 || !existsSync(bundled) ? process.execPath : bundled;
const tsx = join(root, "node_modules", "tsx", "dist", "loader.mjs");
if (!existsSync(tsx)) {
  process.stderr.write(`error: dependencies are missing in ${root}: run \`npm ci\` there first\n`);
  process.exit(1);
}

// wasm-register: `.wasm` imports as compiled modules, so `query` runs the Worker's own SQL guard.
const wasm = join(root, "src", "node", "wasm-register.mjs");
const child = spawn(
  node,
  [
    "--import",
    pathToFileURL(wasm).href,
    "--import",
    pathToFileURL(tsx).href,
    join(root, "src", "cli", "main.ts"),
    ...process.argv.slice(2),
  ],
  {
    stdio: "inherit",
    env: process.env,
  },
);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  // A lone `kill -INT <launcher>` must be passed on. A terminal Ctrl+C reaches both processes, so the
  // child sees it twice in a row: it treats two SIGINTs within a second as one.
  process.on(sig, () => {
    if (child.exitCode === null) child.kill(sig);
  });
}
child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
