// Per-tenant analytics settings (migration 0075): activity-level thresholds and the time zone of
// days and hours in reports. Read inside the report's own tenant transaction; written by the API.
import { withTenant, type PoolLike, type Queryable } from "../db/client";
import { checkThresholds, DEFAULT_THRESHOLDS, type LevelThresholds } from "./levels";

export interface AnalyticsSettings {
  thresholds: LevelThresholds;
  time_zone: string;
}

export const DEFAULT_SETTINGS: AnalyticsSettings = { thresholds: DEFAULT_THRESHOLDS, time_zone: "UTC" };

/** A bad setting, named: the API turns it into a 400 with `field`. */
export class InvalidSettingError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidSettingError";
  }
}

/** An IANA zone name the runtime knows ("Europe/Paris", "UTC"); the database checks it again. */
export function isTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export async function readSettings(tx: Queryable): Promise<AnalyticsSettings> {
  const { rows } = await tx.query<{ level_power: number; level_active: number; time_zone: string }>(
    "SELECT level_power, level_active, time_zone FROM analytics_settings WHERE tenant_id = current_setting('app.current_tenant', true)",
  );
  const r = rows[0];
  return r ? { thresholds: { power: r.level_power, active: r.level_active }, time_zone: r.time_zone } : DEFAULT_SETTINGS;
}

export async function getSettings(pool: PoolLike, tenantId: string): Promise<AnalyticsSettings> {
  return withTenant(pool, tenantId, (tx) => readSettings(tx), { readOnly: true });
}

/** Changes some settings (the rest keep their value); throws InvalidSettingError naming the field. */
export async function updateSettings(
  pool: PoolLike,
  tenantId: string,
  patch: { thresholds?: Partial<LevelThresholds>; time_zone?: string },
): Promise<AnalyticsSettings> {
  if (patch.time_zone !== undefined && !isTimeZone(patch.time_zone)) {
    throw new InvalidSettingError(
      "time_zone",
      `time_zone must be an IANA time zone such as "Europe/Paris" or "UTC", got ${JSON.stringify(patch.time_zone)}`,
    );
  }
  return withTenant(pool, tenantId, async (tx) => {
    const now = await readSettings(tx);
    const next: AnalyticsSettings = {
      thresholds: { ...now.thresholds, ...patch.thresholds },
      time_zone: patch.time_zone ?? now.time_zone,
    };
    const bad = checkThresholds(next.thresholds);
    if (bad) throw new InvalidSettingError(bad.field, bad.message);
    // The database must know the zone too (its tz data can differ from the runtime's).
    const known = await tx.query<{ ok: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS ok", [
      next.time_zone,
    ]);
    if (!known.rows[0]?.ok)
      throw new InvalidSettingError("time_zone", `time_zone ${JSON.stringify(next.time_zone)} is not known to the database`);
    await tx.query(
      `INSERT INTO analytics_settings (tenant_id, level_power, level_active, time_zone, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (tenant_id) DO UPDATE SET level_power = EXCLUDED.level_power, level_active = EXCLUDED.level_active,
         time_zone = EXCLUDED.time_zone, updated_at = now()`,
      [tenantId, next.thresholds.power, next.thresholds.active, next.time_zone],
    );
    return next;
  });
}
