import pg from "pg";
import { migrate } from "/work/main/scripts/lib/migrate";
import { saveBotToken } from "/work/main/src/accounts/bot";
import { ensureTenant } from "/work/main/src/accounts/tenants";
import { readConfig } from "/work/main/src/config";
const db = `e_rot_${Date.now()}`;
const root = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" }); await root.connect();
await root.query(`CREATE DATABASE ${db}`);
const owner = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` }); await owner.connect();
await migrate({ exec: (s) => owner.query(s), query: (s, p) => owner.query(s, p) as any }); await owner.end();
const url = `postgres://discord_sql_app@127.0.0.1:5432/${db}`;
const pool = new pg.Pool({ connectionString: url }) as any;
const cfg = readConfig({ APP_ENV: "test", DATABASE_URL: url, TOKEN_ENCRYPTION_KEYS: `old:${process.env.OLD}` });
for (const t of ["t1", "t2"]) { await ensureTenant(pool, t, "user"); await saveBotToken(pool, cfg, t, `tok-${t}-xyz`, { id: "1", username: "b" }); }
await pool.end();
console.log(url);
