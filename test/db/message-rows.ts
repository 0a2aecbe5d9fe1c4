// A stored message row as the extraction maps it from Discord's payload: the writers' tests build
// their pages from it (in workerd and in Node).
import type { MessageRow } from "../../src/db/rows";
import { mapMessage } from "../../src/extraction/map";

export const GUILD = "1000000000000000001";

/** Message `i` of one channel; `payload` overrides Discord's fields, `extra` the mapped row's. */
export function messageRow(i: number, payload: Record<string, unknown> = {}, extra: Partial<MessageRow> = {}): MessageRow {
  const base = {
    id: String(1300000000000000000n + BigInt(i)),
    channel_id: "1200000000000000001",
    author: { id: "1100000000000000001", username: "a", discriminator: "0", global_name: null, avatar: null },
    content: `message ${i}`,
    timestamp: "2026-11-20T10:00:00Z",
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
  };
  return { ...mapMessage(GUILD, { ...base, ...payload } as never).message, ...extra };
}
