// One owner per embedded data folder. PGlite is a single-process database: two processes opening
// the same folder each keep their own view and overwrite each other's files (a lost folder). The
// owner holds `<folder>.lock`, a small JSON file naming its pid, what it is and (once listening) the
// port of its PostgreSQL socket, so the CLI can use a running `npm start` instead of opening the
// folder a second time. A lock whose process is gone (crash, SIGKILL) is stale and taken over.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";

export interface LockOwner {
  pid: number;
  /** "server": `npm start` (its socket stays up, others may connect); "cli": a one-off command. */
  role: "server" | "cli";
  /** What holds it, for messages: "npm start", "discord-sql sync", ... */
  command: string;
  /** Port of the owner's PostgreSQL socket on 127.0.0.1, once it listens. */
  port?: number;
  startedAt: string;
  /** Linux: the process's start time (clock ticks since boot), so a reused pid is not mistaken for the owner. */
  procStart?: string;
}

export class FolderBusy extends Error {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(`the embedded database in ${dir} is in use by ${owner.command} (pid ${owner.pid})`);
  }
}

export interface DataLock {
  path: string;
  owner: LockOwner;
  /** Records the socket port (rewrites the lock file atomically). */
  setPort(port: number): void;
  /** Removes the lock if it is still ours. Idempotent; also runs at process exit. */
  release(): void;
}

export const lockPath = (dir: string) => `${dir.replace(/\/+$/, "")}.lock`;

/** The process's start time from /proc (Linux); undefined elsewhere or when it cannot be read. */
function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime); the command name (field 2) may hold spaces, so count after its ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** True when the recorded owner process still runs (and, on Linux, is the same process, not a reused pid). */
export function ownerAlive(owner: LockOwner): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false; // ESRCH: no such process
  }
  const now = procStart(owner.pid);
  return !(owner.procStart && now && owner.procStart !== now);
}

function readOwner(path: string): LockOwner | null | "missing" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw err;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    return typeof o?.pid === "number" ? o : null;
  } catch {
    return null;
  }
}

/** The live owner of a folder, or null when nobody holds it (no lock, or a stale one). */
export function liveOwner(dir: string): LockOwner | null {
  const o = readOwner(lockPath(dir));
  return o && o !== "missing" && ownerAlive(o) ? o : null;
}

/** Writes the lock file whole, then links it into place: it never exists half-written, and never twice. */
function createExclusive(path: string, owner: LockOwner): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(owner));
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {}
  }
}

/**
 * Takes the folder's lock or throws FolderBusy naming the live owner. A stale lock (its process is
 * gone) is moved aside atomically and taken over; `onStale` hears about it.
 */
export function acquireDataLock(
  dir: string,
  who: { role: LockOwner["role"]; command: string },
  onStale?: (old: LockOwner) => void,
): DataLock {
  const path = lockPath(dir);
  const owner: LockOwner = {
    pid: process.pid,
    role: who.role,
    command: who.command,
    startedAt: new Date().toISOString(),
    procStart: procStart(process.pid),
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusive(path, owner)) return held(path, owner);
    const current = readOwner(path);
    if (current === "missing") continue; // released meanwhile
    if (current && ownerAlive(current)) throw new FolderBusy(dir, current);
    // Stale (or unreadable): move it aside under a name only we use, then check what we moved. If a
    // racing process took the lock over in between, we moved ITS fresh lock: put it back.
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      renameSync(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    const moved = readOwner(aside);
    if (moved && moved !== "missing" && ownerAlive(moved)) {
      try {
        linkSync(aside, path);
      } catch {}
      unlinkSync(aside);
      throw new FolderBusy(dir, moved);
    }
    unlinkSync(aside);
    if (moved && moved !== "missing") onStale?.(moved);
  }
  throw new Error(`could not take the lock ${path}: it keeps changing (another process starting?)`);
}

function held(path: string, owner: LockOwner): DataLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    const current = readOwner(path);
    if (current && current !== "missing" && current.pid === owner.pid && current.startedAt === owner.startedAt) {
      try {
        unlinkSync(path);
      } catch {}
    }
  };
  // process.exit() anywhere (a CLI error, a second Ctrl+C) still releases it; a crash leaves a stale lock.
  process.on("exit", release);
  return {
    path,
    owner,
    setPort(port: number) {
      owner.port = port;
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(owner));
      renameSync(tmp, path);
    },
    release,
  };
}
