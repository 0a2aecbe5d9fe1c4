// How the dashboard names the activity levels (src/analytics/levels.ts defines them and their order).
export const LEVEL_LABEL: Record<string, string> = { power_user: "Power users", active: "Active", casual: "Casual", lurker: "Lurkers" };
