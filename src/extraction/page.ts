// One task = one Discord page: fetch it, map it, write it in ONE tenant transaction, and say what
// comes next. Shared by the queue consumer (Workers) and runExtraction (in-process).
import {
  PermissionFlagsBits,
  type APIChannel,
  type APIGuildMember,
  type APIMessage,
  type APIThreadChannel,
  type APIUser,
} from "discord-api-types/v10";
import { CURRENT_TENANT, withTenant, type TenantTx } from "../db/client";
import { rejectionWarning, writeRows, type RejectedRow, type WriteCounts } from "../db/writers";
import {
  DiscordAuthError,
  DiscordForbiddenError,
  DiscordNotFoundError,
  canReadChannel,
  canReadPrivateArchivedThreads,
  computeChannelPermissions,
} from "../discord";
import { compareIds, type ChannelRow, type ReactionCountRow } from "../db/rows";
import {
  emojiRouteParam,
  mapChannel,
  mapEmoji,
  mapGuild,
  mapMember,
  mapMessages,
  mapReactors,
  maxId,
  minId,
  parseEmojiRouteParam,
  reactionCounts,
} from "./map";
import { snowflakeAt, snowflakeMs } from "../discord/snowflake";
import { eachLimit } from "../lib/each-limit";
import { log } from "../lib/log";
import { deleteMissingReactors, markMissingMembers, pairKey, readPendingReactions, readReactionCounts, settleMessagesPage } from "./store";
import { markChannelsDone, readCoverage, readLastCompleteSync } from "./job";
import { walkFloorMs } from "./progress";
import {
  JobStoppedError,
  LEAD_PAGES,
  LEAD_WALKS,
  type ChannelIssue,
  type JobContext,
  type PageResult,
  type Task,
  type TaskDeps,
} from "./tasks";

export const MESSAGES_PAGE = 100;
export const MEMBERS_PAGE = 1000;
export const REACTIONS_PAGE = 100;
export const THREADS_PAGE = 100;

/** Channel types whose messages are listed directly (forum/media posts are threads; categories hold none). */
const MESSAGE_CHANNEL_TYPES = new Set([0, 2, 5, 10, 11, 12, 13]);
/** Channel types that have threads (archived lists are per channel). */
const THREAD_PARENT_TYPES = new Set([0, 5, 15, 16]);

type MessagesTask = Extract<Task, { kind: "messages" }>;

/** Page options of a walk: the page already being fetched, and a hook to start fetching the next one. */
interface PageHooks {
  page?: Promise<APIMessage[]>;
  /** Called with the walk's next page (before this page is written), so it can be fetched meanwhile. */
  prefetch?: (next: MessagesTask) => void;
}

export async function runTask(task: Task, ctx: JobContext, deps: TaskDeps, hooks: PageHooks = {}): Promise<PageResult> {
  try {
    switch (task.kind) {
      case "guild":
        return await guildPage(ctx, deps);
      case "members":
        return await membersPage(task, ctx, deps);
      case "threads":
        return await threadsPage(task, ctx, deps);
      case "messages":
        return await messagesPage(task, ctx, deps, hooks);
      case "reactions":
        return await reactionsPage(task, ctx, deps);
    }
  } catch (err) {
    // A channel that became unreadable (or vanished) mid-sync fails alone; the sync goes on.
    // Auth errors, network/5xx exhaustion and database errors propagate to the driver.
    if ((err instanceof DiscordForbiddenError || err instanceof DiscordNotFoundError) && task.kind !== "guild") {
      if (task.kind === "members") {
        return { written: {}, next: [], warnings: [`members intent is off or access denied: member list skipped (${err.message})`] };
      }
      if (task.kind === "reactions" && err instanceof DiscordNotFoundError && (err.code === 10008 || err.code === 10014)) {
        // The message or emoji is gone since its page was read: forget the pair's count, so later
        // syncs do not keep asking for a list that no longer exists (who reacted stays as last seen).
        await withTenant(deps.pool, ctx.tenantId, (tx) =>
          tx.query(
            `DELETE FROM message_reaction_counts WHERE tenant_id = ${CURRENT_TENANT}
                AND message_id = $1 AND emoji_key = $2 AND reaction_type = $3`,
            [task.messageId, parseEmojiRouteParam(task.emoji).key, task.type],
          ),
        );
        return { written: {}, next: [], channelId: task.channelId };
      }
      const channelId = task.kind === "threads" && task.archived === "active" ? ctx.guildId : task.channelId;
      return {
        written: {},
        next: [],
        channelId,
        channelIssue: { channelId, status: "failed", reason: `${err.status}${err.code ? ` (${err.code})` : ""}: ${err.message}` },
      };
    }
    throw err;
  }
}

function windowSnowflake(ctx: JobContext): string {
  return ctx.windowStart ? snowflakeAt(Date.parse(ctx.windowStart)) : "0";
}

function addCounts(into: Record<string, number>, counts: WriteCounts | Partial<Record<string, number>>): Record<string, number> {
  for (const [k, v] of Object.entries(counts)) if (v) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** Rows the database refused even after cleaning: each becomes a job warning naming it (its neighbours were written). */
function rejections(rejected: RejectedRow[]): Pick<PageResult, "warnings"> {
  if (rejected.length === 0) return {};
  // Named one by one up to a few per page (written.rows_rejected has the full count).
  const named = rejected.slice(0, 10).map(rejectionWarning);
  if (rejected.length > 10)
    named.push(
      `${rejected.length - 10} more rows of the same page could not be stored (ids: ${rejected
        .slice(10, 60)
        .map((r) => Object.values(r.key).join("/"))
        .join(", ")}${rejected.length > 60 ? ", ..." : ""})`,
    );
  return { warnings: named };
}

// ---------------------------------------------------------------- planning message walks

interface WalkTarget {
  id: string;
  /** undefined: unknown (walk anyway); null: the channel has no messages. */
  lastMessageId: string | null | undefined;
  /** Discord's count of a thread's messages: the one size known before a walk (channels have none). */
  messages?: number;
}

/**
 * Message walks for these channels. Incremental when an earlier job covered the channel: nothing is
 * fetched when Discord's last_message_id is one we already store and our newest message is older
 * than the re-scan window counted back from now (no new message, and none young enough to still be
 * edited, deleted or reacted to). Otherwise the walk stops at the older of (newest stored, covering
 * job's start, now - re-scan window), never before the window start. A deep re-scan (ctx.full)
 * walks everything in the window. Channels with nothing to fetch are complete for this job at once.
 */
async function planWalks(
  tx: TenantTx,
  ctx: JobContext,
  targets: WalkTarget[],
): Promise<{ tasks: MessagesTask[]; stops: Map<string, string>; doneNow: string[] }> {
  const coverage = ctx.full
    ? new Map<string, { newestId: string | null; coveredUntil: string | null }>()
    : await readCoverage(
        tx,
        targets.map((t) => t.id),
        ctx.windowStart,
      );
  const windowSf = windowSnowflake(ctx);
  const rescanFrom = Date.now() - ctx.rescanMs;
  const tasks: MessagesTask[] = [];
  const stops = new Map<string, string>();
  const doneNow: string[] = [];
  for (const t of targets) {
    const cov = coverage.get(t.id);
    let stop = windowSf;
    if (cov?.coveredUntil) {
      const covered = Date.parse(cov.coveredUntil);
      const base = Math.min(cov.newestId ? snowflakeMs(cov.newestId) : covered, covered, rescanFrom);
      stop = maxId(windowSf, snowflakeAt(base));
      const unchanged =
        t.lastMessageId !== undefined && (t.lastMessageId === null || (!!cov.newestId && compareIds(t.lastMessageId, cov.newestId) <= 0));
      if (unchanged && (!cov.newestId || snowflakeMs(cov.newestId) < rescanFrom)) {
        // No stop recorded: no walk will re-plan this channel's unfinished who-reacted lists.
        doneNow.push(t.id);
        continue;
      }
    }
    stops.set(t.id, stop);
    // Nothing at or after the stop point, neither on Discord nor stored (a stored one may have been deleted).
    const newest = [t.lastMessageId, cov?.newestId].filter((x): x is string => !!x).reduce(maxId, "0");
    if (t.lastMessageId !== undefined && compareIds(newest, stop) < 0) {
      doneNow.push(t.id);
      continue;
    }
    const newestMs = t.lastMessageId ? snowflakeMs(t.lastMessageId) : Date.now();
    const createdMs = snowflakeMs(t.id);
    const spanMs = Math.max(0, newestMs - Math.max(snowflakeMs(stop), createdMs));
    const task: MessagesTask =
      stop === "0" ? { kind: "messages", channelId: t.id, spanMs } : { kind: "messages", channelId: t.id, stopAfter: stop, spanMs };
    // Threads only (channels have no count); the guild page's channel leads are picked by leadBiggest.
    if (t.messages !== undefined && estimatedPages(t.messages, spanMs, newestMs - createdMs) >= LEAD_PAGES) task.lead = true;
    tasks.push(task);
  }
  return { tasks, stops, doneNow };
}

/**
 * Pages a walk over `spanMs` of a thread's `lifeMs` will read, if its `messages` are spread evenly
 * over its life (an incremental walk reads only the part after its stop point).
 */
export function estimatedPages(messages: number, spanMs: number, lifeMs: number): number {
  const share = lifeMs > 0 ? Math.min(1, spanMs / lifeMs) : 1;
  return Math.ceil((Math.max(0, messages) * share) / MESSAGES_PAGE);
}

/** The walks with the LEAD_WALKS most pages left marked to start before the planning pages. */
export function leadBiggest(walks: { task: MessagesTask; pages: number }[]): MessagesTask[] {
  const lead = new Set(
    [...walks]
      .sort((a, b) => b.pages - a.pages)
      .slice(0, LEAD_WALKS)
      .map((w) => w.task),
  );
  return walks.map(({ task }) => (lead.has(task) ? { ...task, lead: true } : task));
}

function lastMessageOf(channel: APIChannel): string | null | undefined {
  const c = channel as { last_message_id?: string | null };
  return c.last_message_id;
}

// ---------------------------------------------------------------- guild (plans the sync)

async function guildPage(ctx: JobContext, deps: TaskDeps): Promise<PageResult> {
  const { discord, pool } = deps;
  const guild = await discord.getGuild(ctx.guildId, true);
  const channels = await discord.getGuildChannels(ctx.guildId);
  const me = await discord.getCurrentUser();
  const member = (await discord.getGuildMember(ctx.guildId, me.id)) as APIGuildMember;
  const roles = guild.roles ?? [];

  const rows: ChannelRow[] = [];
  const issues: ChannelIssue[] = [];
  const readable: string[] = [];
  const manage: string[] = [];
  const next: Task[] = [{ kind: "members" }];
  const walkTargets: WalkTarget[] = [];
  const walks: MessagesTask[] = [];
  const threadParents: { id: string; type: number; canManage: boolean }[] = [];
  for (const channel of channels) {
    const perms = computeChannelPermissions(guild, roles, { user: member.user ?? me, roles: member.roles }, channel);
    const canView = (perms & PermissionFlagsBits.ViewChannel) !== 0n;
    rows.push(mapChannel(ctx.guildId, channel as APIChannel, canView));
    if (canView) readable.push(channel.id);
    if (!canReadChannel(perms)) {
      // Not asked for at all: a 403 would count against Discord's invalid-request budget.
      if (channel.type !== 4) {
        const reason = canView ? "the bot lacks READ_MESSAGE_HISTORY in this channel" : "the bot may not view this channel (VIEW_CHANNEL)";
        issues.push({ channelId: channel.id, status: "skipped", reason });
      }
      continue;
    }
    const canManage = canReadPrivateArchivedThreads(perms);
    if (canManage) manage.push(channel.id);
    if (MESSAGE_CHANNEL_TYPES.has(channel.type)) walkTargets.push({ id: channel.id, lastMessageId: lastMessageOf(channel as APIChannel) });
    if (THREAD_PARENT_TYPES.has(channel.type)) threadParents.push({ id: channel.id, type: channel.type, canManage });
  }
  next.splice(1, 0, { kind: "threads", channelId: ctx.guildId, archived: "active", readable, manage });

  const now = new Date().toISOString();
  const page = await withTenant(pool, ctx.tenantId, async (tx): Promise<PageResult> => {
    const rejected: RejectedRow[] = [];
    const written = addCounts(
      {},
      await writeRows(
        tx,
        {
          servers: [mapGuild(guild, now)],
          channels: rows,
          emojis: (guild.emojis ?? []).filter((e) => e.id).map((e) => mapEmoji(e, ctx.guildId)),
        },
        rejected,
      ),
    );
    const since = ctx.full ? null : await readLastCompleteSync(tx, ctx);
    for (const p of threadParents) {
      const archivedAfter = since ? { archivedAfter: since } : {};
      next.push({ kind: "threads", channelId: p.id, archived: "public", ...archivedAfter });
      // Private threads exist only under text channels (the joined list is ordered by id, not archive time).
      if (p.type === 0)
        next.push(
          p.canManage
            ? { kind: "threads", channelId: p.id, archived: "private", ...archivedAfter }
            : { kind: "threads", channelId: p.id, archived: "joined" },
        );
    }
    const plan = await planWalks(tx, ctx, walkTargets);
    await markChannelsDone(tx, ctx.jobId, plan.doneNow);
    walks.push(...plan.tasks);
    if (ctx.fetchReactions) {
      // Who-reacted lists an interrupted sync left unfetched, on messages this sync's walks will
      // not see again (the walks re-plan the others themselves).
      const guildChannels = new Set(channels.map((c) => c.id));
      for (const p of await readPendingReactions(tx)) {
        const stop = plan.stops.get(p.channelId);
        if (guildChannels.has(p.channelId) && stop !== undefined && compareIds(p.messageId, stop) >= 0) continue;
        next.push({
          kind: "reactions",
          channelId: p.channelId,
          messageId: p.messageId,
          emoji: p.emoji,
          type: p.type,
          authorId: p.authorId,
          count: p.count,
        });
      }
    }
    return { written, next, channelIssues: issues, ...rejections(rejected) };
  });
  // After the commit: the first pages' messages need their channels' rows.
  const first = await firstPages(walks, ctx, deps);
  const warnings = [...(page.warnings ?? []), ...first.warnings];
  return {
    written: addCounts(addCounts({}, page.written), first.written),
    next: [...page.next, ...first.next],
    channelIssues: [...(page.channelIssues ?? []), ...first.issues],
    walked: first.walked,
    ...(warnings.length ? { warnings } : {}),
  };
}

// ---------------------------------------------------------------- first pages

/** Pages in flight while the guild page fetches its walks' first pages: enough to fill the 50/s global limit. */
export const FIRST_PAGES_IN_FLIGHT = 16;

/**
 * The first page of every channel walk, fetched and written by the guild page itself. Discord gives
 * a channel no message count, and within a sync window most channels span the whole window, so spans
 * cannot tell a 300-page channel from a one-page one (bench:extract: the big channels were never
 * among the leads picked by span and started 14-28 s late); a first page's density can. Most
 * channels end on their first page. A walk that will read LEAD_PAGES more goes on here while first
 * pages are still to start, so its channel's bucket is not idle meanwhile. Then each walk goes on
 * from where it got, and the LEAD_WALKS with the most pages left lead: they leave together, so they
 * share a queue batch (consumer.ts). These pages would be fetched anyway, at the global limit, so
 * this costs no request. A page that fails is not retried here: its walk is planned from that page,
 * as without this step, and retried like any page.
 */
async function firstPages(
  walks: MessagesTask[],
  ctx: JobContext,
  deps: TaskDeps,
): Promise<{
  written: Record<string, number>;
  next: Task[];
  issues: ChannelIssue[];
  warnings: string[];
  walked: NonNullable<PageResult["walked"]>;
}> {
  const written: Record<string, number> = {};
  const next: Task[] = [];
  const goOn: { task: MessagesTask; pages: number }[] = [];
  const issues: ChannelIssue[] = [];
  const warnings: string[] = [];
  const walked: NonNullable<PageResult["walked"]> = [];
  let started = 0;
  // A big walk fetches its next page while this one is written, as in the queue consumer: the first
  // pages' writes load the database, and fetching then writing in turn held the biggest channel to
  // about 2 pages a second of its 5 (bench:extract, the simulator's request log).
  const more = (walk: MessagesTask) => (page: MessagesTask, pages: number) =>
    started < walks.length && walkRest(walk, page, pages).pages >= LEAD_PAGES;
  const budget = { maxPages: Number.POSITIVE_INFINITY, deadline: Number.POSITIVE_INFINITY };
  await eachLimit(walks, FIRST_PAGES_IN_FLIGHT, async (walk) => {
    started++;
    let task = walk;
    const progress = { channelId: walk.channelId, pages: 0, messages: 0 };
    walked.push(progress);
    try {
      await walkMessages(walk, ctx, deps, { ...budget, more: more(walk) }, async (_page, result, held) => {
        progress.pages++;
        progress.messages += result.written.messages ?? 0;
        addCounts(written, result.written);
        if (result.channelIssue) issues.push(result.channelIssue);
        warnings.push(...(result.warnings ?? []));
        for (const t of result.next) {
          const rest = t.kind === "messages" && t.channelId === walk.channelId && t.before ? t : undefined;
          if (!rest) next.push(t);
          else if (held) task = rest;
          else goOn.push(walkRest(walk, rest, progress.pages));
        }
        return true;
      });
    } catch (err) {
      // The job stopped or the token is dead: the whole job ends, as from any page.
      if (err instanceof JobStoppedError || err instanceof DiscordAuthError) throw err;
      log.warn("extraction.first_page_failed", { jobId: ctx.jobId, channelId: walk.channelId, message: (err as Error).message });
      if (progress.pages === 0) next.push(walk);
      else goOn.push(walkRest(walk, task, progress.pages));
    }
  });
  next.push(...leadBiggest(goOn));
  return { written, next, issues, warnings, walked: walked.filter((w) => w.pages > 0) };
}

/**
 * A walk's rest after its first `pages` pages (`rest` starts at their oldest message): its span from
 * there to the stop point, and the pages it will read if that span is as dense as the pages read
 * (100 messages each, between the walk's newest message and `rest.before`).
 */
export function walkRest(first: MessagesTask, rest: MessagesTask, pages = 1): { task: MessagesTask; pages: number } {
  const floorMs = walkFloorMs(first, null);
  const newestMs = floorMs + (first.spanMs ?? 0);
  const oldestMs = snowflakeMs(rest.before ?? first.channelId);
  const spanMs = Math.max(0, oldestMs - floorMs);
  const pageMs = Math.max(1, (newestMs - oldestMs) / pages);
  return { task: { ...rest, spanMs }, pages: Math.ceil(spanMs / pageMs) };
}

// ---------------------------------------------------------------- members

async function membersPage(task: Extract<Task, { kind: "members" }>, ctx: JobContext, { discord, pool }: TaskDeps): Promise<PageResult> {
  const page = await discord.listGuildMembers(ctx.guildId, { after: task.after, limit: MEMBERS_PAGE });
  const mapped = page.filter((m) => m.user).map((m) => mapMember(ctx.guildId, m));
  const ids = mapped.map((m) => m.member.user_id).sort(compareIds);
  const full = page.length >= MEMBERS_PAGE;
  const last = ids.at(-1);
  return withTenant(pool, ctx.tenantId, async (tx) => {
    const rejected: RejectedRow[] = [];
    const written = addCounts(
      {},
      await writeRows(tx, { users: mapped.map((m) => m.user), server_members: mapped.map((m) => m.member) }, rejected),
    );
    // The list is ordered by user id, so this page speaks for the id range it spans.
    const left = await markMissingMembers(tx, ctx.guildId, task.after ?? "0", full ? (last ?? null) : null, ids);
    if (left) written.members_left = left;
    return { written, next: full && last ? [{ kind: "members", after: last }] : [], ...rejections(rejected) };
  });
}

// ---------------------------------------------------------------- threads

async function threadsPage(task: Extract<Task, { kind: "threads" }>, ctx: JobContext, { discord, pool }: TaskDeps): Promise<PageResult> {
  let threads: APIThreadChannel[];
  let joined = new Set<string>();
  const next: Task[] = [];
  if (task.archived === "active") {
    const res = await discord.listActiveThreads(ctx.guildId);
    threads = res.threads as APIThreadChannel[];
    joined = new Set((res.members ?? []).map((m) => m.id).filter((id): id is string => !!id));
  } else {
    const kind = task.archived === "joined" ? "joined-private" : task.archived;
    const res = await discord.listArchivedThreads(task.channelId, kind, { before: task.before, limit: THREADS_PAGE });
    threads = res.threads as APIThreadChannel[];
    // Every thread the bot can see is stored (the channel list is not limited by the sync window),
    // down to those archived before the last complete sync: that sync listed them already.
    const oldest = threads
      .map((t) => Date.parse(t.thread_metadata?.archive_timestamp ?? ""))
      .filter(Number.isFinite)
      .reduce((a, b) => Math.min(a, b), Infinity);
    const listedBefore = task.archivedAfter !== undefined && oldest < Date.parse(task.archivedAfter);
    if (res.has_more && threads.length > 0 && !listedBefore) {
      const before =
        task.archived === "joined"
          ? threads.map((t) => t.id).reduce(minId)
          : threads
              .map((t) => t.thread_metadata?.archive_timestamp ?? "")
              .filter(Boolean)
              .sort((x, y) => Date.parse(x) - Date.parse(y))[0];
      if (before) next.push({ kind: "threads", channelId: task.channelId, archived: task.archived, before });
    }
  }

  const readableParents = task.readable ? new Set(task.readable) : null;
  const manageParents = new Set(task.manage ?? []);
  const rows: ChannelRow[] = [];
  const walkTargets: WalkTarget[] = [];
  for (const t of threads) {
    if (task.archived === "active") {
      // The guild-wide list may include threads under channels the bot cannot read, and private
      // threads it neither joined nor manages: those are not visible to it.
      const parent = t.parent_id ?? "";
      const visible = (readableParents?.has(parent) ?? true) && (t.type !== 12 || manageParents.has(parent) || joined.has(t.id));
      if (!visible) continue;
    }
    rows.push(mapChannel(ctx.guildId, t, true));
    // total_message_sent does not drop when messages are deleted: an upper bound, as a size should be.
    const messages = t.total_message_sent ?? t.message_count;
    walkTargets.push({ id: t.id, lastMessageId: lastMessageOf(t), ...(messages !== undefined ? { messages } : {}) });
  }

  return withTenant(pool, ctx.tenantId, async (tx) => {
    const rejected: RejectedRow[] = [];
    const written = addCounts({}, await writeRows(tx, { channels: rows }, rejected));
    const plan = await planWalks(tx, ctx, walkTargets);
    await markChannelsDone(tx, ctx.jobId, plan.doneNow);
    return { written, next: [...next, ...plan.tasks], ...rejections(rejected) };
  });
}

// ---------------------------------------------------------------- messages

function fetchMessages(discord: TaskDeps["discord"], task: MessagesTask): Promise<APIMessage[]> {
  return discord.getMessages(task.channelId, { before: task.before, limit: MESSAGES_PAGE }) as Promise<APIMessage[]>;
}

async function messagesPage(task: MessagesTask, ctx: JobContext, { discord, pool }: TaskDeps, hooks: PageHooks = {}): Promise<PageResult> {
  const stop = maxId(windowSnowflake(ctx), task.stopAfter ?? "0");
  const page = await (hooks.page ?? fetchMessages(discord, task));
  const sorted = [...page].sort((a, b) => compareIds(b.id, a.id));
  const kept = sorted.filter((m) => compareIds(m.id, stop) >= 0);
  const lowest = sorted.at(-1)?.id;
  const continues = page.length >= MESSAGES_PAGE && !!lowest && compareIds(lowest, stop) > 0;
  // This page answers for [from, before): anything stored there that Discord no longer returns is deleted.
  const from = continues ? lowest! : stop;
  const rows = mapMessages(
    ctx.guildId,
    kept.map((m) => ({ ...m, channel_id: m.channel_id ?? task.channelId })),
  );
  const ids = rows.messages.map((m) => m.id);
  const now = new Date().toISOString();
  if (continues) hooks.prefetch?.({ ...task, before: lowest! });

  return withTenant(pool, ctx.tenantId, async (tx) => {
    const next: Task[] = continues ? [{ ...task, before: lowest! }] : [];
    const countRows: ReactionCountRow[] = [];
    const gone: { message_id: string; emoji_key: string; reaction_type: number }[] = [];
    const stored = kept.length > 0 ? await readReactionCounts(tx, ids) : new Map<string, Map<string, { count: number; users: number }>>();
    for (const m of kept) {
      const before = stored.get(m.id) ?? new Map<string, { count: number; users: number }>();
      const shown = new Set<string>();
      for (const r of reactionCounts(m)) {
        const key = pairKey(r.key, r.type);
        shown.add(key);
        countRows.push({ message_id: m.id, emoji_key: r.key, reaction_type: r.type, count: r.count });
        const was = before.get(key);
        // Unchanged and complete: who reacted is already stored. Otherwise (new, changed, or left
        // unfetched by an interrupted sync) the list is fetched again and replaces the stored one.
        if (!ctx.fetchReactions || (was && was.count === r.count && was.users === r.count)) continue;
        next.push({
          kind: "reactions",
          channelId: task.channelId,
          messageId: m.id,
          emoji: emojiRouteParam(r.emoji),
          type: r.type,
          authorId: m.author.id,
          count: r.count,
        });
      }
      for (const key of before.keys()) {
        if (shown.has(key)) continue;
        const [type, emoji] = key.split("\u0000");
        gone.push({ message_id: m.id, emoji_key: emoji, reaction_type: Number(type) });
      }
    }
    const rejected: RejectedRow[] = [];
    const written = addCounts({}, await writeRows(tx, { ...rows, message_reaction_counts: countRows }, rejected));
    const settled = await settleMessagesPage(tx, {
      gone,
      replyIds: rows.messages.filter((m) => m.reply_to_message_id && !m.reply_to_author_id).map((m) => m.id),
      channelId: task.channelId,
      from,
      below: task.before ?? null,
      seen: ids,
      now,
    });
    if (settled.reactionsRemoved) written.reactions_removed = settled.reactionsRemoved;
    if (settled.messagesDeleted) written.messages_deleted = settled.messagesDeleted;
    if (!continues) await markChannelsDone(tx, ctx.jobId, [task.channelId]);
    // A message the database refused has no reactors to fetch.
    const skipped = new Set(rejected.filter((r) => r.table === "messages").map((r) => r.key.id));
    const follow = skipped.size > 0 ? next.filter((t) => t.kind !== "reactions" || !skipped.has(t.messageId)) : next;
    return { written, next: follow, channelId: task.channelId, ...rejections(rejected) };
  });
}

// ---------------------------------------------------------------- walks

export interface WalkBudget {
  /** Pages at most in this walk (the queue consumer hands the rest back to the queue). */
  maxPages: number;
  /** Wall-clock end (ms): no page is started after it. */
  deadline: number;
  /** Whether to go on with `next` after `pages` pages (the guild page's first pages: only big walks). */
  more?: (next: MessagesTask, pages: number) => boolean;
}

/**
 * Walks a channel's history from `task`, page after page, fetching the next page while the current
 * one is written. Every page is reported to `checkpoint` (the job ledger) with the walk's next page,
 * `held` when this walk goes on with it (so the ledger does not hand it out again) or not when the
 * walk stops there (budget spent: the ledger hands it out). checkpoint returns false when the job
 * stopped. A page that throws ends the walk with the error; what was checkpointed stays done.
 */
export async function walkMessages(
  task: MessagesTask,
  ctx: JobContext,
  deps: TaskDeps,
  budget: WalkBudget,
  checkpoint: (task: MessagesTask, result: PageResult, held: boolean) => Promise<boolean>,
  run: (task: Task, ctx: JobContext, deps: TaskDeps, hooks?: PageHooks) => Promise<PageResult> = runTask,
): Promise<void> {
  let current = task;
  let page: Promise<APIMessage[]> | undefined;
  for (let n = 1; ; n++) {
    let next: MessagesTask | undefined;
    let nextPage: Promise<APIMessage[]> | undefined;
    const goOn = (t: MessagesTask) => n < budget.maxPages && Date.now() < budget.deadline && (budget.more?.(t, n) ?? true);
    const result = await run(current, ctx, deps, {
      page,
      prefetch: (t) => {
        if (!goOn(t)) return;
        next = t;
        nextPage = fetchMessages(deps.discord, t);
        nextPage.catch(() => {}); // awaited (and its error handled) by the next page
      },
    });
    const held =
      next !== undefined && result.next.some((t) => t.kind === "messages" && t.channelId === next!.channelId && t.before === next!.before);
    const live = await checkpoint(current, result, held);
    if (!held || !live) return;
    current = next!;
    page = nextPage;
  }
}

// ---------------------------------------------------------------- reactions

async function reactionsPage(
  task: Extract<Task, { kind: "reactions" }>,
  ctx: JobContext,
  { discord, pool }: TaskDeps,
): Promise<PageResult> {
  const emoji = parseEmojiRouteParam(task.emoji);
  const page = (await discord.getReactionUsers(task.channelId, task.messageId, { id: emoji.id, name: emoji.name }, task.type, {
    after: task.after,
    limit: REACTIONS_PAGE,
  })) as APIUser[];
  const users = [...page].sort((a, b) => compareIds(a.id, b.id));
  const full = page.length >= REACTIONS_PAGE;
  const last = users.at(-1)?.id;
  const rows = mapReactors(
    {
      serverId: ctx.guildId,
      channelId: task.channelId,
      messageId: task.messageId,
      authorId: task.authorId ?? null,
      emojiKey: emoji.key,
      type: task.type,
    },
    users,
  );
  return withTenant(pool, ctx.tenantId, async (tx) => {
    const done = !(full && last);
    const rejected: RejectedRow[] = [];
    const written = addCounts({}, await writeRows(tx, { users: rows.users, reactions: rows.reactions }, rejected));
    const pair = { messageId: task.messageId, emojiKey: emoji.key, type: task.type };
    const removed = await deleteMissingReactors(
      tx,
      pair,
      task.after ?? "0",
      done ? null : last!,
      users.map((u) => u.id),
    );
    if (removed) written.reactions_removed = removed;
    return { written, next: done ? [] : [{ ...task, after: last! }], channelId: task.channelId, ...rejections(rejected) };
  });
}
