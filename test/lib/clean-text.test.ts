// The text cleaner, by properties over any UTF-16 string (lone surrogates and NULs included), and the
// mapping's last step (cleanRows) over whole Discord payloads.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cleanDeep, cleanText } from "../../src/lib/clean-text";
import { cleanRows } from "../../src/db/rows";
import { mapMember, mapMessages, wordCount } from "../../src/extraction/map";

// Any UTF-16 code unit, weighted towards the troublemakers.
const unit = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)) },
  { weight: 2, arbitrary: fc.constantFrom("\u0000", "\uD83D", "\uDE00", "😀", " ", "a") },
);
const nasty = fc.string({ unit, maxLength: 40 });

const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();
// The rule, said another way: the engine's own conversion of lone surrogates, then NULs dropped.
const oracle = (s: string) => (s as string & { toWellFormed(): string }).toWellFormed().split("\u0000").join("");

describe("cleanText", () => {
  it("leaves no NUL and no lone surrogate, and follows the rule exactly", () => {
    fc.assert(
      fc.property(nasty, (s) => {
        const c = cleanText(s);
        expect(c.includes("\u0000")).toBe(false);
        expect(wellFormed(c)).toBe(true);
        expect(c).toBe(oracle(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("is idempotent and changes nothing in text that was already clean", () => {
    fc.assert(
      fc.property(nasty, (s) => {
        expect(cleanText(cleanText(s))).toBe(cleanText(s));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), (s) => {
        const clean = s.split("\u0000").join("");
        expect(cleanText(clean)).toBe(clean);
      }),
      { numRuns: 300 },
    );
  });

  it("never joins two lone halves into a character, and keeps real pairs", () => {
    expect(cleanText("\uD83D\u0000\uDE00")).toBe("\uFFFD\uFFFD");
    expect(cleanText("\uDE00\uD83D")).toBe("\uFFFD\uFFFD");
    expect(cleanText("a\u0000b😀\uD83D")).toBe("ab😀\uFFFD");
    expect(cleanText("😀")).toBe("😀");
  });
});

describe("cleanDeep", () => {
  it("cleans every string (object keys too) and counts the strings it changed", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ a: nasty, b: fc.option(nasty), n: fc.integer() }), { maxLength: 10 }), (rows) => {
        const { value, cleaned } = cleanDeep(rows);
        const changed = rows.reduce((k, r) => k + (cleanText(r.a) !== r.a ? 1 : 0) + (r.b !== null && cleanText(r.b) !== r.b ? 1 : 0), 0);
        expect(cleaned).toBe(changed);
        expect(value).toEqual(rows.map((r) => ({ a: cleanText(r.a), b: r.b === null ? null : cleanText(r.b), n: r.n })));
        if (changed === 0) expect(value).toBe(rows);
      }),
    );
    expect(cleanDeep({ ["k\u0000"]: ["\uD800"] })).toEqual({ value: { k: ["\uFFFD"] }, cleaned: 2 });
  });
});

describe("cleanRows (the mapping's last step)", () => {
  it("any message page maps to rows with only storable text, counted, and word counts of the stored text", () => {
    const G = "1000000000000000001";
    fc.assert(
      fc.property(
        fc.array(fc.record({ content: nasty, username: nasty, global_name: fc.option(nasty), nick: fc.option(nasty) }), {
          minLength: 1,
          maxLength: 5,
        }),
        (items) => {
          const page = items.map((x, i) => ({
            id: String(1300000000000000000n + BigInt(i)),
            channel_id: "1200000000000000001",
            author: {
              id: String(1100000000000000000n + BigInt(i)),
              username: x.username,
              discriminator: "0",
              global_name: x.global_name,
              avatar: null,
            },
            content: x.content,
            timestamp: "2026-11-20T10:00:00.000000+00:00",
            edited_timestamp: null,
            mentions: [],
            mention_roles: [],
            attachments: [],
            embeds: [],
            type: 0,
          }));
          const mapped = mapMessages(G, page as never);
          const members = items.map((x, i) => mapMember(G, { user: page[i].author, nick: x.nick, roles: [], joined_at: null } as never));
          const raw = { ...mapped, server_members: members.map((m) => m.member) };
          const { rows, cleaned } = cleanRows(raw);
          const strings: string[] = [];
          JSON.parse(JSON.stringify(rows), (_k, v) => (typeof v === "string" && strings.push(v), v));
          for (const s of strings) {
            expect(s.includes("\u0000")).toBe(false);
            expect(wellFormed(s)).toBe(true);
          }
          const dirty = (s: string | null) => (s !== null && cleanText(s) !== s ? 1 : 0);
          const expected = items.reduce((k, x) => k + dirty(x.content) + dirty(x.username) + dirty(x.global_name) + dirty(x.nick), 0);
          expect(cleaned).toBe(expected);
          rows.messages!.forEach((m, i) => {
            expect(m.content).toBe(cleanText(items[i].content));
            expect(m.word_count).toBe(wordCount(m.content));
            expect(m.word_count).toBe(m.content.split(/\s+/).filter(Boolean).length);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
