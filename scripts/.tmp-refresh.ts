import pg from "pg";
import { refreshAnalytics } from "../src/analytics/refresh";
const pool = new pg.Pool({ connectionString: "postgres://discord_sql_app@127.0.0.1:5432/discord_sql_bench", max: 1 });
const r = await refreshAnalytics(pool as never, "bench_big", "800000000000000001");
console.log(JSON.stringify(r));
await pool.end();
