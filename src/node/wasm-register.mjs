// `node --import ./src/node/wasm-register.mjs`: registers ./wasm-hooks.mjs (see there).
import { register } from "node:module";

register("./wasm-hooks.mjs", import.meta.url);
