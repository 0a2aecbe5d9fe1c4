// The simulator's real-text mode: wild text changes only text (same ids, same counts), the ground truth
// expects it cleaned, and unstorable messages are left out of the truth and nothing else.
import { describe, expect, it } from "vitest";
import { expectedRows, generateWorld, parseSimulatorArgs } from "../../src/simulator/index";
import { renderMessage } from "../../src/simulator/render";
import { MAX_CONTENT, UNSTORABLE_TIMESTAMP } from "../../src/simulator/wild-text";

const OPTS = { seed: 3, users: 15, channels: 2, messages: 80, days: 5, now: Date.parse("2026-11-30T12:00:00Z") };
const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

describe("simulator text modes", () => {
  it("wild text: the same world with NULs, lone surrogates, 4,000-character content and odd names; the truth is cleaned", () => {
    const plain = generateWorld(OPTS);
    const wild = generateWorld({ ...OPTS, text: "wild" });
    const msgs = (w: typeof plain) => [...w.guilds[0].channels.values()].flatMap((c) => c.messages);
    expect(msgs(wild).map((m) => m.id)).toEqual(msgs(plain).map((m) => m.id));
    const contents = msgs(wild).map((m) => m.content);
    expect(contents.some((c) => c.includes("\u0000"))).toBe(true);
    expect(contents.some((c) => !wellFormed(c))).toBe(true);
    expect(contents.some((c) => c.length === MAX_CONTENT)).toBe(true);
    expect([...wild.users.values()].some((u) => u.username.includes("\u0000") || !wellFormed(u.username))).toBe(true);
    expect([...wild.guilds[0].channels.values()].some((c) => !wellFormed(c.name) || c.name.includes("\u0000"))).toBe(true);
    // Served as Discord does: JSON escapes.
    const odd = msgs(wild).find((m) => !wellFormed(m.content))!;
    expect(JSON.stringify(renderMessage(wild, wild.guilds[0], odd))).toMatch(/\\ud[89a-f][0-9a-f]{2}/);

    const a = expectedRows(plain, { syncDays: 5 });
    const b = expectedRows(wild, { syncDays: 5 });
    expect(b.counts).toEqual(a.counts);
    const texts = [
      ...b.messages.map((m) => m.content),
      ...b.users.flatMap((u) => [u.username, u.global_name ?? ""]),
      ...b.channels.map((c) => c.name),
      ...b.serverMembers.map((m) => m.nickname ?? ""),
      b.servers[0].name,
    ];
    for (const t of texts) {
      expect(t.includes("\u0000")).toBe(false);
      expect(wellFormed(t)).toBe(true);
    }
    expect(b.messages.some((m) => m.content.includes("\uFFFD"))).toBe(true);
    expect(b.messages.map((m) => m.word_count)).toEqual(b.messages.map((m) => m.content.split(/\s+/).filter(Boolean).length));
  });

  it("unstorable: served with a date that does not exist, missing from the truth, nothing else changes", () => {
    const plain = generateWorld(OPTS);
    const w = generateWorld({ ...OPTS, unstorable: 2 });
    const bad = [...w.guilds[0].messagesById.values()].filter((m) => m.unstorable);
    expect(bad).toHaveLength(2);
    expect(new Set(bad.map((m) => m.channelId)).size).toBe(2);
    expect(renderMessage(w, w.guilds[0], bad[0]).edited_timestamp).toBe(UNSTORABLE_TIMESTAMP);
    const a = expectedRows(plain, { syncDays: 5 });
    const b = expectedRows(w, { syncDays: 5 });
    expect(b.messages.map((m) => m.id)).toEqual(a.messages.map((m) => m.id).filter((id) => !bad.some((x) => x.id === id)));
    expect({ ...b.counts, messages: b.counts.messages + 2 }).toEqual(a.counts);
  });

  it("flags: --text wild|plain and --unstorable N", () => {
    expect(parseSimulatorArgs(["--text", "wild", "--unstorable=2", "--users", "5"]).options).toEqual({
      text: "wild",
      unstorable: 2,
      users: 5,
    });
    expect(() => parseSimulatorArgs(["--text", "weird"])).toThrow(/--text must be "plain" or "wild"/);
    expect(() => generateWorld({ text: "odd" as never })).toThrow(/text must be/);
  });
});
