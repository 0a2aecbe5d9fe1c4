// `discord-sql guilds`: the servers the bot is in and what it may read there, so permissions and
// intents can be fixed before a long sync.
import { OneLineError } from "../node/database";
import { channelAccess, DiscordClient, DiscordForbiddenError } from "../discord";
import { parseArgs } from "./args";
import { explainDiscordError } from "./discord-errors";
import { readSettings, requireToken } from "./settings";
import { formatRows, type OutputFormat } from "./table";

export const GUILDS_HELP = `discord-sql guilds [--json]
  The servers the bot is in: channels it may read, and whether the Server Members and Message Content intents are on.`;

// Application flags (GET /applications/@me): Message Content intent, full or "limited" (< 100 servers).
const FLAG_CONTENT = (1 << 18) | (1 << 19);

export interface GuildAccess {
  id: string;
  name: string;
  readable: number;
  channels: number;
  /** Names of the channels the bot may not read (ids where Discord gave no name). */
  unreadable: string[];
  members_intent: "on" | "off";
  message_content: "on" | "off" | "unknown";
}

export async function guildsCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const args = parseArgs("guilds", argv, { values: [], switches: ["json", "csv"] });
  if (args.positionals.length) throw new OneLineError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const settings = readSettings();
  const discord = new DiscordClient({ token: requireToken(settings), baseUrl: settings.apiBase, maxRetries: 2 });
  let rows: GuildAccess[];
  try {
    rows = await listAccess(discord);
  } catch (err) {
    throw explainDiscordError(err, settings.apiBase);
  }
  const format: OutputFormat = args.switches.has("json") ? "json" : args.switches.has("csv") ? "csv" : "table";
  if (rows.length === 0) {
    io.stderr.write('the bot is in no server yet: invite it with the Developer Portal > OAuth2 > URL Generator (scope "bot")\n');
    if (format === "table") return 0;
  }
  const columns = ["id", "name", "readable_channels", "members_intent", "message_content"];
  io.stdout.write(
    formatRows(
      format,
      columns,
      rows.map((r) => [r.id, r.name, `${r.readable}/${r.channels}`, r.members_intent, r.message_content]),
    ),
  );
  if (format === "table") {
    for (const r of rows.filter((x) => x.unreadable.length)) {
      io.stderr.write(`${r.name}: not readable: ${r.unreadable.map((n) => `#${n}`).join(", ")}\n`);
    }
    if (rows.some((r) => r.readable < r.channels))
      io.stderr.write(
        "some channels are not readable: give the bot View Channels + Read Message History there (or accept that they are skipped)\n",
      );
    if (rows.some((r) => r.members_intent === "off"))
      io.stderr.write(
        "members intent off: Developer Portal > Bot > Privileged Gateway Intents > Server Members Intent (else no member list)\n",
      );
    if (rows.some((r) => r.message_content === "off"))
      io.stderr.write(
        "message content off: Developer Portal > Bot > Privileged Gateway Intents > Message Content Intent (else messages are empty)\n",
      );
  }
  return 0;
}

export async function listAccess(discord: DiscordClient): Promise<GuildAccess[]> {
  const me = await discord.getCurrentUser();
  const content = await messageContentIntent(discord);
  const guilds: { id: string; name: string }[] = [];
  for (let after: string | undefined; ; ) {
    const page = await discord.getCurrentUserGuilds({ after, limit: 200 });
    guilds.push(...page);
    if (page.length < 200) break;
    after = page[page.length - 1].id;
  }
  const out: GuildAccess[] = [];
  for (const g of guilds) {
    const [guild, channels, member] = await Promise.all([
      discord.getGuild(g.id),
      discord.getGuildChannels(g.id),
      discord.getGuildMember(g.id, me.id),
    ]);
    const access = channelAccess(guild, guild.roles, member, channels as never);
    let members: "on" | "off" = "on";
    try {
      await discord.listGuildMembers(g.id, { limit: 1 });
    } catch (err) {
      if (!(err instanceof DiscordForbiddenError)) throw err;
      members = "off";
    }
    out.push({
      id: g.id,
      name: g.name,
      readable: access.readable,
      channels: access.total,
      unreadable: access.unreadable.map((c) => c.name ?? c.id),
      members_intent: members,
      message_content: content,
    });
  }
  return out;
}

/** From the application's flags; "unknown" when Discord (or a stand-in) does not say. */
async function messageContentIntent(discord: DiscordClient): Promise<"on" | "off" | "unknown"> {
  try {
    const app = await discord.get<{ flags?: number }>("/applications/@me");
    if (typeof app?.flags !== "number") return "unknown";
    return app.flags & FLAG_CONTENT ? "on" : "off";
  } catch (err) {
    if ((err as { status?: number }).status === 401) throw err;
    return "unknown";
  }
}
