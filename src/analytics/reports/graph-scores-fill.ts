// The refresh's part of graph-scores.ts: score the default view's interaction network and store it,
// in the refresh's transaction (after user_interactions is rebuilt). Self-contained: three statements.
import { interactionGraphIn, DEFAULT_EDGES, influenceOf } from "./influence";
import { bridgingOf } from "./bridging";
import type { Q } from "./filters";

/** Replaces the server's stored scores; returns the rows written. */
export async function fillGraphScores(tx: Q, serverId: string): Promise<number> {
  const p = [tx.tenantId, serverId];
  await tx.query("DELETE FROM graph_scores WHERE tenant_id = $1 AND server_id = $2::bigint", p);
  await tx.query("DELETE FROM graph_summaries WHERE tenant_id = $1 AND server_id = $2::bigint", p);
  const g = await interactionGraphIn(tx, { serverId }, DEFAULT_EDGES);
  const inf = influenceOf(g);
  const between = new Map(bridgingOf(g).map((r) => [r.user_id, r]));
  const rows = inf.rows.map((r) => ({
    ...r,
    betweenness: between.get(r.user_id)?.betweenness ?? 0,
    neighbours: between.get(r.user_id)?.neighbours ?? 0,
  }));
  await tx.query(
    `INSERT INTO graph_summaries (tenant_id, server_id, members, edges, truncated, iterations) VALUES ($1, $2::bigint, $3, $4, $5, $6)`,
    [...p, rows.length, g.edges.length, g.truncated, inf.iterations],
  );
  if (rows.length) {
    await tx.query(
      `INSERT INTO graph_scores (tenant_id, server_id, user_id, pagerank, betweenness, weight_in, weight_out, neighbours)
       SELECT $1, $2::bigint, x.* FROM unnest($3::bigint[], $4::float8[], $5::float8[], $6::int[], $7::int[], $8::int[]) AS x`,
      [
        ...p,
        rows.map((r) => r.user_id),
        rows.map((r) => r.pagerank),
        rows.map((r) => r.betweenness),
        rows.map((r) => r.weight_in),
        rows.map((r) => r.weight_out),
        rows.map((r) => r.neighbours),
      ],
    );
  }
  return rows.length;
}
