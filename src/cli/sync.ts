// `discord-sql sync --guild ID`: the same runExtraction the product uses, in this process, with
// progress on stderr, Ctrl+C = stop after the pages in flight (the next run resumes), a summary table.
import { OneLineError } from "../node/database";
import { refreshAnalytics } from "../analytics/refresh";
import { withTenant, type PoolLike } from "../db/client";
import { DiscordClient } from "../discord";
import { endInterruptedCliJobs } from "../extraction/job";
import { runExtraction, type ExtractionStats } from "../extraction/run";
import { daysArg, guildIdArg, parseArgs } from "./args";
import { explainDiscordError, MEMBERS_INTENT_OFF, MESSAGE_CONTENT_OFF, TOKEN_REJECTED } from "./discord-errors";
import { openDatabase } from "./database";
import { ProgressDisplay, ProgressState } from "./progress";
import { refreshPrinter } from "./refresh-progress";
import { LOCAL_TENANT, readSettings, requireToken } from "./settings";
import { formatTable } from "./table";

export const SYNC_HELP = `discord-sql sync --guild ID [--days N|all] [--no-reactions] [--concurrency N] [--full]
  Copies a Discord server into the database (incremental after the first run).
  --guild ID        the server (Discord: right-click the server > Copy Server ID; \`discord-sql guilds\` lists them)
  --days N|all      history to fetch (default SYNC_DAYS, else 7)
  --no-reactions    skip who-reacted lists (default FETCH_REACTIONS, else fetched)
  --concurrency N   pages fetched at once (default 8)
  --full            deep re-scan: walk every channel again (finds deletions of old messages; costs a full sync)
  Ctrl+C stops after the pages in flight; run the same command again to resume.`;

/** Tables of a server shown in the summary, with the filter that selects the server's rows. */
const SERVER_TABLES: [string, string][] = [
  ["servers", "id = $1::bigint"],
  ["channels", "server_id = $1::bigint"],
  ["messages", "server_id = $1::bigint"],
  ["reactions", "server_id = $1::bigint"],
  ["message_mentions", "server_id = $1::bigint"],
  ["server_members", "server_id = $1::bigint"],
  ["emojis", "server_id = $1::bigint OR key IN (SELECT emoji_key FROM reactions WHERE server_id = $1::bigint)"],
];

export async function syncCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const args = parseArgs("sync", argv, { values: ["guild", "days", "concurrency"], switches: ["no-reactions", "reactions", "full"] });
  if (args.positionals.length)
    throw new OneLineError(`unexpected argument ${JSON.stringify(args.positionals[0])} (usage: ${SYNC_HELP.split("\n")[0]})`);
  const settings = readSettings();
  const guildId = guildIdArg(args.values.guild);
  if (!guildId)
    throw new OneLineError(
      "sync needs --guild ID (the server's id: Discord > right-click the server > Copy Server ID; `discord-sql guilds` lists them)",
    );
  const syncDays = args.values.days !== undefined ? daysArg(args.values.days, "--days") : settings.syncDays;
  const fetchReactions = args.switches.has("no-reactions") ? false : args.switches.has("reactions") ? true : settings.fetchReactions;
  const concurrency = args.values.concurrency ? Number(args.values.concurrency) : 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new OneLineError("--concurrency must be an integer from 1 to 64");
  const token = requireToken(settings);

  // Before a long run: the token works and the bot is in that server (two requests).
  const probe = new DiscordClient({ token, baseUrl: settings.apiBase, maxRetries: 2 });
  let guildName: string;
  try {
    await probe.getCurrentUser();
    guildName = (await probe.getGuild(guildId)).name;
  } catch (err) {
    throw explainDiscordError(err, settings.apiBase, guildId);
  }

  const db = await openDatabase(settings.databaseUrl);
  const lock = await db.pool.connect();
  try {
    await claimServer(lock, db.pool, guildId);
    io.stderr.write(
      `syncing ${guildName} (${guildId}) into ${db.where}: ${syncDays === null ? "all history" : `last ${syncDays} days`}, reactions ${fetchReactions ? "on" : "off"}\n`,
    );

    const state = new ProgressState(Date.now());
    const display = new ProgressDisplay(state, io.stderr);
    const controller = new AbortController();
    let firstSigint = 0;
    const onSigint = () => {
      const now = Date.now();
      if (firstSigint === 0) {
        firstSigint = now;
        controller.abort();
        display.note("stopping after the pages in flight (Ctrl+C again to quit at once; run the same command to resume)");
      } else if (now - firstSigint > 1000) {
        // Pages are one transaction each, so even this loses nothing; the job row is repaired next run.
        io.stderr.write("quit before the pages in flight finished; the next sync resumes\n");
        process.exit(130);
      }
    };
    process.on("SIGINT", onSigint);
    display.start();
    let stats: ExtractionStats;
    try {
      stats = await runExtraction({
        discord: {
          token,
          baseUrl: settings.apiBase,
          onRequest: (e) => {
            const started = state.request(e.route, e.status >= 200 && e.status < 300, Date.now());
            if (started) display.phaseStarted(started);
          },
        },
        pool: db.pool,
        tenantId: LOCAL_TENANT,
        guildId,
        syncDays,
        fetchReactions,
        concurrency,
        full: args.switches.has("full"),
        signal: controller.signal,
        onProgress: (p) => (state.progress = p),
      });
    } catch (err) {
      display.stop();
      // e.g. the dashboard (`npm start`) is syncing the same server into the same database.
      if (/already running/.test((err as Error).message)) throw new OneLineError(`${(err as Error).message}: wait for it to finish`);
      throw explainDiscordError(err, settings.apiBase, guildId);
    } finally {
      process.off("SIGINT", onSigint);
    }
    state.progress = { ...state.progress, written: stats.written, pagesQueued: 0, inFlight: 0 };
    state.stopped = stats.status === "cancelled" || stats.status === "failed";
    display.stop();

    if (stats.status === "failed") {
      const fatal = stats.error ?? "unknown error";
      if (/token/i.test(fatal)) throw new OneLineError(TOKEN_REJECTED);
      throw new OneLineError(`the sync failed: ${fatal}`);
    }
    // Reports read the precomputed tables: rebuild this server's slice (also after a stop: partial data is still data).
    const refresh = refreshPrinter(io.stderr);
    refresh.done(await refreshAnalytics(db.pool, LOCAL_TENANT, guildId, { onProgress: refresh.onProgress }));

    const totals = await serverTotals(db.pool, guildId);
    const rows = SERVER_TABLES.map(([table]) => [table, stats.written[table] ?? 0, totals[table] ?? 0]);
    io.stdout.write(formatTable(["table", "written this run", "stored"], rows));
    const extra = ["messages_deleted", "reactions_removed", "members_left", "text_cleaned", "rows_rejected"].filter(
      (k) => stats.written[k],
    );
    if (extra.length) io.stdout.write(`also: ${extra.map((k) => `${k.replace("_", " ")} ${stats.written[k]}`).join(", ")}\n`);
    io.stdout.write(
      `${stats.status}: ${stats.pages} pages, ${stats.requests ?? "?"} requests (${stats.rateLimited ?? 0} rate limited) in ${(stats.durationMs / 1000).toFixed(1)} s (job ${stats.jobId})\n`,
    );

    const skipped = stats.channelIssues.filter((i) => i.status === "skipped");
    const failed = stats.channelIssues.filter((i) => i.status === "failed");
    if (skipped.length)
      io.stderr.write(
        `note: ${skipped.length} channel(s) skipped because the bot may not read them (\`discord-sql guilds\` shows which permissions are missing)\n`,
      );
    for (const f of failed) io.stderr.write(`warning: channel ${f.channelId} failed: ${f.reason}\n`);
    if (stats.warnings.some((w) => /members intent/i.test(w))) io.stderr.write(MEMBERS_INTENT_OFF + "\n");
    for (const w of stats.warnings.filter((w) => !/members intent/i.test(w))) io.stderr.write(`warning: ${w}\n`);
    if (await contentLooksBlank(db.pool, guildId)) io.stderr.write(MESSAGE_CONTENT_OFF + "\n");

    if (stats.status === "cancelled") {
      io.stderr.write("stopped: run the same command again to resume (nothing is fetched twice into the database)\n");
      return 130;
    }
    return stats.status === "succeeded" ? 0 : 2;
  } finally {
    lock.release();
    await db.close();
  }
}

/**
 * One CLI sync per server at a time: a session advisory lock held for the run. Holding it proves any
 * CLI job still marked running was left by a process that died (kill -9, closed terminal): that row
 * would block runExtraction, so it is closed as failed.
 */
async function claimServer(lock: { query: PoolLike["query"] }, pool: PoolLike, guildId: string): Promise<void> {
  const got = await lock.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext('discord-sql cli sync'), hashtext($1)) AS ok", [
    guildId,
  ]);
  if (!got.rows[0]?.ok)
    throw new OneLineError(`another discord-sql sync of server ${guildId} is running on this database; wait for it or stop it (Ctrl+C)`);
  await withTenant(pool, LOCAL_TENANT, (tx) =>
    endInterruptedCliJobs(tx, guildId, "interrupted: the discord-sql process ended before the sync finished"),
  );
}

async function serverTotals(pool: PoolLike, guildId: string): Promise<Record<string, number>> {
  return withTenant(
    pool,
    LOCAL_TENANT,
    async (tx) => {
      const out: Record<string, number> = {};
      for (const [table, where] of SERVER_TABLES) {
        out[table] = Number((await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, [guildId])).rows[0].n);
      }
      return out;
    },
    { readOnly: true },
  );
}

/**
 * Without the Message Content intent Discord sends content "" (except messages that mention the bot,
 * and DMs). Many messages, almost none with text: the intent is off.
 */
export async function contentLooksBlank(pool: PoolLike, guildId: string): Promise<boolean> {
  const r = await withTenant(
    pool,
    LOCAL_TENANT,
    (tx) =>
      tx.query<{ total: string; with_text: string }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE content <> '') AS with_text
         FROM messages WHERE server_id = $1::bigint AND NOT is_system AND NOT is_deleted AND webhook_id IS NULL`,
        [guildId],
      ),
    { readOnly: true },
  );
  const total = Number(r.rows[0].total);
  return isContentBlank(total, Number(r.rows[0].with_text));
}

/** Pure rule: 20+ messages and under 10% with any text. */
export function isContentBlank(total: number, withText: number): boolean {
  return total >= 20 && withText < total * 0.1;
}
