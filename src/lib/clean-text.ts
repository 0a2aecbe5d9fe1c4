// Text as PostgreSQL can store it. Discord hands us whatever its users typed: NUL bytes, which
// PostgreSQL rejects in text and jsonb ("invalid byte sequence for encoding UTF8: 0x00"), and lone
// UTF-16 surrogates (JSON's \udXXX escapes), which have no UTF-8 form (jsonb rejects them; a text
// driver would silently turn them into U+FFFD anyway). Pure; the mapping applies it to every row
// (cleanRows in src/db/rows.ts), and jsonb values holding Discord text go through cleanDeep.

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// The exact test, for text that passed the quick one: emoji are well-formed pairs and need no copy.
const NEEDS_CLEANING = new RegExp(`\\u0000|${LONE_SURROGATE.source}`);
// Quick test: anything that could need cleaning (valid surrogate pairs, e.g. emoji, match too).
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character PostgreSQL text refuses, so it is what we look for.
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

/**
 * NUL removed, every lone surrogate replaced with U+FFFD; any other text is returned unchanged.
 * Surrogates are fixed before NULs go, so removing a NUL never pairs two lone halves into a character.
 */
export function cleanText(s: string): string {
  if (!SUSPECT.test(s) || !NEEDS_CLEANING.test(s)) return s;
  return s.replace(LONE_SURROGATE, "\uFFFD").replaceAll("\u0000", "");
}

/**
 * Every string inside `value` (object properties, array items, nested) cleaned, with the number of
 * strings that changed. Returns the same object when nothing changed. For rows and for JSON that is
 * stored as jsonb (object keys are cleaned too).
 */
export function cleanDeep<T>(value: T): { value: T; cleaned: number } {
  let cleaned = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      const c = cleanText(v);
      if (c !== v) cleaned++;
      return c;
    }
    if (Array.isArray(v)) {
      let out: unknown[] | null = null;
      v.forEach((item, i) => {
        const c = walk(item);
        if (c !== item) {
          out ??= [...v];
          out[i] = c;
        }
      });
      return out ?? v;
    }
    if (v !== null && typeof v === "object" && !(v instanceof Date)) {
      let out: Record<string, unknown> | null = null;
      // for...in, not Object.entries: this runs over every row of every page (no pair arrays made).
      for (const k in v as Record<string, unknown>) {
        if (!Object.hasOwn(v, k)) continue;
        const item = (v as Record<string, unknown>)[k];
        const ck = cleanText(k);
        const c = walk(item);
        if (ck !== k) {
          cleaned++;
          out ??= { ...(v as Record<string, unknown>) };
          delete out[k];
        }
        if (c !== item || ck !== k) {
          out ??= { ...(v as Record<string, unknown>) };
          out[ck] = c;
        }
      }
      return out ?? v;
    }
    return v;
  };
  const value2 = walk(value) as T;
  return { value: value2, cleaned };
}
