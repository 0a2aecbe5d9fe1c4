// `discord-sql report NAME`: the product's built-in reports (src/analytics/reports.ts) as tables.
import { OneLineError } from "../node/database";
import * as reports from "../analytics/reports";
import type { ReportFilters } from "../analytics/reports";
import { withTenant, type PoolLike } from "../db/client";
import { dayArg, guildIdArg, parseArgs, positiveIntArg } from "./args";
import { openDatabase } from "./database";
import { outputFormat } from "./query";
import { LOCAL_TENANT, readSettings } from "./settings";
import { formatRows, objectsToRows, type Cell } from "./table";
import { checkThresholds, LEVELS, type LevelThresholds } from "../analytics/levels";
import { getSettings, isTimeZone } from "../analytics/settings";
import { duration, plural } from "../lib/format";

function timeZoneArg(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!isTimeZone(v)) throw new OneLineError(`--tz must be an IANA time zone such as Europe/Paris or UTC, got ${JSON.stringify(v)}`);
  return v;
}

export const REPORT_HELP = `discord-sql report NAME [--guild ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--last DAYS] [--limit N] [--include-bots] [--tz ZONE] [--power N --active N] [--csv | --json]
discord-sql report NAME --last DAYS ...   (the last DAYS days of the synced history, instead of --from/--to; 7, 30 and 90 are precomputed)
discord-sql report drivers [--gap MINUTES] ...   (quiet gap that starts a conversation, 1..${reports.MAX_GAP_MINUTES}; default ${reports.DEFAULT_GAP_MINUTES})
discord-sql report --list`;

/** --gap: minutes of quiet that start a conversation (the API's gap_minutes bounds). */
export function gapArg(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > reports.MAX_GAP_MINUTES)
    throw new OneLineError(`--gap must be a whole number of minutes from 1 to ${reports.MAX_GAP_MINUTES}, got ${JSON.stringify(v)}`);
  return Number(v);
}

interface Section {
  title: string;
  columns: string[];
  rows: Cell[][];
}

const table = (title: string, objects: object[]): Section => ({ title, ...objectsToRows(objects as Record<string, unknown>[]) });

/** A graph report's members with their score at 4 decimals, titled with the graph's size. */
function graphTable<K extends string>(
  name: string,
  data: { members: number; edges: number; truncated: boolean; rows: (Record<K, number> & object)[] },
  score: K,
): Section {
  const rows = data.rows.map((r) => ({ ...r, [score]: r[score].toFixed(4) }));
  return table(
    `${name} (${plural(data.members, "member")}, ${plural(data.edges, "edge")}${data.truncated ? ", heaviest only" : ""})`,
    rows,
  );
}
const DOW = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));

/** "2026-11-01 .. 2026-11-30 (30 days)", or that nothing was synced. */
function windowText(w: { from: string | null; to: string | null; days: number }): string {
  return w.from && w.to ? `${w.from} .. ${w.to} (${plural(w.days, "day")})` : "no synced history";
}

/** Options only some reports take (the CLI refuses them for the others). */
interface RunOptions {
  gapMinutes?: number;
}

type Run = (pool: PoolLike, f: ReportFilters, opts: RunOptions) => Promise<{ data: unknown; sections: Section[] }>;

/** Report name -> what it says and how to run it. */
export const REPORTS: Record<string, { about: string; run: Run }> = {
  activity: {
    about:
      "members by activity level: lurker (no message in the window), casual, active, power user (thresholds per 30 days, scaled to the window)",
    run: async (pool, f) => {
      const { data } = await reports.activityLevels(pool, LOCAL_TENANT, f);
      const title =
        data.messages === 0
          ? `levels ${windowText(data)}: no messages in this range`
          : `levels ${windowText(data)}, ${plural(data.messages, "message")}; active: more than ${data.scaled.active}, power user: more than ${data.scaled.power} messages`;
      return {
        data,
        sections: [
          table(
            title,
            LEVELS.map((level) => ({ level, members: data.counts[level] })),
          ),
          table("members", data.members),
        ],
      };
    },
  },
  members: {
    about: "per member: activity level, messages, replies, reactions and mentions given and received",
    run: async (pool, f) => {
      const { data } = await reports.memberSummaries(pool, LOCAL_TENANT, f);
      return { data, sections: [table(`members (${data.total}), ${windowText(data)}`, data.members)] };
    },
  },
  replies: pairs("reply", "who replies to whom"),
  "reaction-pairs": pairs("reaction", "who reacts to whose messages"),
  mentions: pairs("mention", "who mentions whom"),
  daily: {
    about: "messages and active users per day",
    run: async (pool, f) => {
      const { data } = await reports.dailyActivity(pool, LOCAL_TENANT, f);
      return { data, sections: [table("daily activity", data)] };
    },
  },
  heatmap: {
    about: "messages by weekday and hour, in the time zone (--tz, or the tenant's setting)",
    run: async (pool, f) => {
      const { data } = await reports.hourOfWeek(pool, LOCAL_TENANT, f);
      const tz = data.time_zone;
      const busiest = data.busiest
        ? `busiest: ${DOW[data.busiest.dow]} ${HOURS[data.busiest.hour]}:00 ${tz} (${plural(data.busiest.messages, "message")})`
        : "no messages in this range";
      // Explicit columns: object keys "10".."23" would sort before "day" (integer-like keys come first).
      const rows = data.cells.map((hours, dow) => [DOW[dow], ...hours]);
      return { data, sections: [{ title: `messages by weekday and hour (${tz}); ${busiest}`, columns: ["day", ...HOURS], rows }] };
    },
  },
  reactions: {
    about: "top emojis, top reaction givers and receivers",
    run: async (pool, f) => {
      const { data } = await reports.reactionsReport(pool, LOCAL_TENANT, f);
      return { data, sections: [table("emojis", data.emojis), table("givers", data.givers), table("receivers", data.receivers)] };
    },
  },
  channels: {
    about: "messages, active users and reply rate per channel",
    run: async (pool, f) => {
      const { data } = await reports.channelActivity(pool, LOCAL_TENANT, f);
      return { data, sections: [table("channels", data)] };
    },
  },
  "response-times": {
    about: "how fast messages get a first reply; who starts conversations and who answers",
    run: async (pool, f) => {
      const { data } = await reports.responseTimes(pool, LOCAL_TENANT, f);
      return {
        data,
        sections: [
          table("overall", [
            { replied_messages: data.replied_messages, median: duration(data.median_seconds), p90: duration(data.p90_seconds) },
          ]),
          table(
            "by channel",
            data.by_channel.map(({ median_seconds, ...c }) => ({ ...c, median: duration(median_seconds) })),
          ),
          table("starters and responders", data.starters),
        ],
      };
    },
  },
  retention: {
    about:
      "weekly cohorts (joined or first posted) within the synced history: members who posted again 1..8 weeks later; weeks not reached yet are blank",
    run: async (pool, f) => {
      const { data } = await reports.retention(pool, LOCAL_TENANT, f);
      const weeks = Math.max(0, ...data.map((c) => c.retained.length));
      const columns = ["week", "size", ...Array.from({ length: weeks }, (_, i) => `w${i + 1}`)];
      return { data, sections: [{ title: "retention cohorts", columns, rows: data.map((c) => [c.week, c.size, ...c.retained]) }] };
    },
  },
  drivers: {
    about:
      "who drives conversations: conversations started (a message after 30 minutes of quiet in its channel, or --gap MINUTES; or a new thread), replies drawn, distinct responders",
    run: async (pool, f, opts) => {
      const { data } = await reports.drivers(pool, LOCAL_TENANT, f, opts.gapMinutes);
      return {
        data,
        sections: [table(`conversation starters (${plural(data.conversations, "conversation")}, gap ${data.gap_minutes} min)`, data.rows)],
      };
    },
  },
  influence: {
    about: "influence: weighted PageRank (damping 0.85) over who replies to and reacts to whom",
    run: async (pool, f) => {
      const { data } = await reports.influence(pool, LOCAL_TENANT, f);
      return { data, sections: [graphTable("influence", data, "pagerank")] };
    },
  },
  bridging: {
    about: "bridging: members on the shortest paths between others in the reply and reaction network (betweenness, 0..1)",
    run: async (pool, f) => {
      const { data } = await reports.bridging(pool, LOCAL_TENANT, f);
      return { data, sections: [graphTable("bridging", data, "betweenness")] };
    },
  },
  newcomers: {
    about:
      "members who joined in the range: who posted, who got a reply and how fast, still posting 4 weeks later (weeks 4-5) by whether they got a reply",
    run: async (pool, f) => {
      const { data } = await reports.newcomers(pool, LOCAL_TENANT, f);
      const r = data.retention;
      const frac = (g: reports.RetentionGroup) => (g.members ? `${g.retained}/${g.members}` : "–");
      return {
        data,
        sections: [
          table("newcomers", [
            { joined: data.joined, posted: data.posted, got_reply: data.got_reply, median_wait: duration(data.median_reply_seconds) },
          ]),
          table("retained in weeks 4-5 (of those whose weeks 4-5 were synced)", [
            { got_reply: frac(r.got_reply), posted_no_reply: frac(r.posted_no_reply), never_posted: frac(r.never_posted) },
          ]),
          table(
            "members",
            data.rows.map(({ reply_seconds, ...m }) => ({ ...m, reply_wait: duration(reply_seconds) })),
          ),
        ],
      };
    },
  },
  "member-growth": {
    about: "joins and first messages after joining per day (leaves are not dated: the count of members who left is shown)",
    run: async (pool, f) => {
      const { data } = await reports.memberGrowth(pool, LOCAL_TENANT, f);
      return { data, sections: [table(`member growth (${data.time_zone}); left, date unknown: ${data.departed_undated}`, data.days)] };
    },
  },
};

function pairs(kind: reports.InteractionKind, about: string): { about: string; run: Run } {
  return {
    about,
    run: async (pool, f) => {
      const { data } = await reports.interactionPairs(pool, LOCAL_TENANT, kind, f);
      return { data, sections: [table(about, data)] };
    },
  };
}

export async function reportCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const args = parseArgs("report", argv, {
    values: ["guild", "from", "to", "last", "limit", "tz", "power", "active", "gap"],
    switches: ["list", "include-bots", "csv", "json"],
  });
  if (args.switches.has("list") || args.positionals.length === 0) {
    const rows = Object.entries(REPORTS).map(([name, r]) => [name, r.about]);
    io.stdout.write(formatRows("table", ["report", "what it shows"], rows, { maxWidth: Infinity }));
    if (!args.switches.has("list")) io.stderr.write(`usage: ${REPORT_HELP.split("\n")[0]}\n`);
    return args.switches.has("list") ? 0 : 2;
  }
  const name = args.positionals[0];
  const report = REPORTS[name];
  if (!report)
    throw new OneLineError(`unknown report ${JSON.stringify(name)}: one of ${Object.keys(REPORTS).join(", ")} (discord-sql report --list)`);
  if (args.positionals.length > 1) throw new OneLineError(`unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const format = outputFormat(args.switches);
  const filters = {
    from: dayArg(args.values.from, "--from"),
    to: dayArg(args.values.to, "--to"),
    limit: positiveIntArg(args.values.limit, "--limit"),
    includeBots: args.switches.has("include-bots"),
    tz: timeZoneArg(args.values.tz),
  };
  if (filters.from && filters.to && filters.from > filters.to)
    throw new OneLineError(`--from must not be after --to (${filters.from} > ${filters.to})`);
  const last = positiveIntArg(args.values.last, "--last");
  if (last !== undefined && (filters.from || filters.to)) throw new OneLineError("--last replaces --from/--to: give one or the other");
  const gapMinutes = gapArg(args.values.gap);
  if (gapMinutes !== undefined && name !== "drivers") throw new OneLineError(`--gap applies to the drivers report only, not ${name}`);
  const power = positiveIntArg(args.values.power, "--power");
  const active = positiveIntArg(args.values.active, "--active");

  const db = await openDatabase(readSettings().databaseUrl);
  try {
    const serverId = await pickServer(db.pool, guildIdArg(args.values.guild));
    // --power/--active: level thresholds (messages per 30 days) for this run; else the stored setting.
    let thresholds: LevelThresholds | undefined;
    if (power !== undefined || active !== undefined) {
      const stored = (await getSettings(db.pool, LOCAL_TENANT)).thresholds;
      thresholds = { power: power ?? stored.power, active: active ?? stored.active };
      const bad = checkThresholds(thresholds);
      if (bad) throw new OneLineError(`--${bad.field}: ${bad.message}`);
    }
    const view = await reports.lastDays(db.pool, LOCAL_TENANT, { serverId, ...filters, thresholds }, last);
    const { data, sections } = await report.run(db.pool, view, { gapMinutes });
    if (format === "json") {
      io.stdout.write(JSON.stringify(data, null, 2) + "\n");
      return 0;
    }
    sections.forEach((s, i) => {
      if (format === "table") io.stdout.write(`${i ? "\n" : ""}${s.title}\n`);
      io.stdout.write(
        s.rows.length || format === "csv" ? formatRows(format, s.columns.length ? s.columns : ["(none)"], s.rows) : "(no rows)\n",
      );
    });
    return 0;
  } finally {
    await db.close();
  }
}

/** --guild, or the only synced server; several synced servers need --guild. */
export async function pickServer(pool: PoolLike, given: string | undefined): Promise<string> {
  const servers = await withTenant(
    pool,
    LOCAL_TENANT,
    (tx) => tx.query<{ id: string; name: string }>("SELECT id::text AS id, name FROM servers ORDER BY name, id"),
    { readOnly: true },
  );
  if (given) {
    if (!servers.rows.some((s) => s.id === given)) {
      throw new OneLineError(`server ${given} has not been synced into this database: run \`discord-sql sync --guild ${given}\` first`);
    }
    return given;
  }
  if (servers.rows.length === 0)
    throw new OneLineError("no server has been synced into this database yet: run `discord-sql sync --guild ID` first");
  if (servers.rows.length > 1) {
    throw new OneLineError(
      `several servers are synced; pick one with --guild: ${servers.rows.map((s) => `${s.id} (${s.name})`).join(", ")}`,
    );
  }
  return servers.rows[0].id;
}
