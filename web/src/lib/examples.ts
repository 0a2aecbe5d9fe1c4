// The original product's example queries (README "SQL Query Examples"), one click away in the editor.
export const EXAMPLES: { title: string; sql: string }[] = [
  {
    title: "Who replies to whom the most?",
    sql: `SELECT
    u1.username AS replier,
    u2.username AS replied_to,
    COUNT(*) AS reply_count
FROM messages m
JOIN users u1 ON m.author_id = u1.id
JOIN users u2 ON m.reply_to_author_id = u2.id
WHERE m.reply_to_author_id IS NOT NULL
  AND m.author_id != m.reply_to_author_id
GROUP BY u1.username, u2.username
ORDER BY reply_count DESC
LIMIT 10;`,
  },
  {
    title: "Power users vs lurkers",
    sql: `SELECT
    u.username,
    COUNT(*) AS messages,
    CASE
        WHEN COUNT(*) > 500 THEN 'power_user'
        WHEN COUNT(*) > 100 THEN 'active'
        WHEN COUNT(*) > 20 THEN 'casual'
        ELSE 'lurker'
    END AS activity_level
FROM messages m
JOIN users u ON m.author_id = u.id
WHERE m.created_at > NOW() - INTERVAL '30 days'
GROUP BY u.id, u.username
ORDER BY messages DESC;`,
  },
  {
    title: "Daily activity trends",
    sql: `SELECT
    date_trunc('day', created_at) AS day,
    COUNT(*) AS messages,
    COUNT(DISTINCT author_id) AS active_users
FROM messages
WHERE created_at >= CURRENT_DATE - INTERVAL '30 days'
GROUP BY day
ORDER BY day;`,
  },
  {
    title: "Top reaction givers",
    sql: `SELECT u.username, COUNT(*) AS reactions_given
FROM reactions r
JOIN users u ON r.user_id = u.id
GROUP BY u.username
ORDER BY reactions_given DESC
LIMIT 10;`,
  },
];
