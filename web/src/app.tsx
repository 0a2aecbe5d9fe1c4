// The shell: navigation, the shared filter bar, and the page for the current path.
import { useEffect, useState } from "preact/hooks";
import { Link } from "./components/ui";
import { FilterBar } from "./components/filters";
import { getBotStatus, listJobs } from "./lib/endpoints";
import { AppContext } from "./lib/app-context";
import { useAsync } from "./lib/hooks";
import { match, navigate, readFilters, setQuery, useLocation } from "./lib/router";
import { SyncPage } from "./pages/sync";
import { OverviewPage } from "./pages/overview";
import { PeoplePage } from "./pages/people";
import { MemberPage } from "./pages/member";
import { InteractionsPage } from "./pages/interactions";
import { ChannelsPage } from "./pages/channels";
import { ChannelPage } from "./pages/channel";
import { ConversationsPage } from "./pages/conversations";
import { RetentionPage } from "./pages/retention";
import { CommunityPage } from "./pages/community";
import { ReactionsPage } from "./pages/reactions";
import { SqlPage } from "./pages/sql";
import { BillingPage } from "./pages/billing";

const NAV = [
  { path: "/overview", label: "Overview", icon: "◧" },
  { path: "/people", label: "People", icon: "☺" },
  { path: "/interactions", label: "Interactions", icon: "⋈" },
  { path: "/channels", label: "Channels", icon: "#" },
  { path: "/conversations", label: "Conversations", icon: "↩" },
  { path: "/reactions", label: "Reactions", icon: "☆" },
  { path: "/retention", label: "Retention", icon: "▤" },
  { path: "/community", label: "Community", icon: "✦" },
  { path: "/sql", label: "SQL", icon: "⌘" },
  { path: "/sync", label: "Sync", icon: "⟳" },
  { path: "/billing", label: "Billing", icon: "$" },
];

const FILTERED = ["/overview", "/people", "/interactions", "/channels", "/conversations", "/reactions", "/retention", "/community"];

export function App() {
  const loc = useLocation();
  const bot = useAsync((s) => getBotStatus(s), []);
  const filters = readFilters(loc.query);
  const [menuOpen, setMenuOpen] = useState(false);

  // Default server: the most recently synced one, else the first the bot is in.
  useEffect(() => {
    if (filters.server || !bot.data?.guilds?.length) return;
    const guilds = bot.data.guilds;
    // The fallback covers a failed job list; nothing is left to report.
    void listJobs()
      .then((jobs) => jobs.find((j) => guilds.some((g) => g.id === j.server_id))?.server_id)
      .catch(() => undefined)
      .then((id) => {
        if (!new URLSearchParams(location.search).get("server")) setQuery({ server: id ?? guilds[0].id });
      });
  }, [bot.data, filters.server]);

  useEffect(() => {
    if (loc.path === "/" || loc.path === "") navigate(`/overview${location.search}`, { replace: true });
    setMenuOpen(false);
  }, [loc.path]);

  const page = route(loc.path);
  useEffect(() => {
    const label = NAV.find((n) => loc.path.startsWith(n.path))?.label;
    document.title = label ? `${label} · discord-sql` : "discord-sql";
  }, [loc.path]);

  return (
    <AppContext.Provider value={{ bot: bot.data, botError: bot.error, reloadBot: bot.reload, filters }}>
      <a href="#main" class="skip-link">
        Skip to content
      </a>
      <div class="shell">
        <header class="topbar">
          <button
            type="button"
            class="menu-btn"
            aria-expanded={menuOpen}
            aria-controls="sidenav"
            aria-label="Menu"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            ☰
          </button>
          <span class="brand">
            <span class="brand-mark" aria-hidden="true">
              ▦
            </span>{" "}
            discord-sql
          </span>
          <span class="bot-pill" aria-live="polite">
            {bot.data?.connected ? (
              <>
                <span class="dot ok" aria-hidden="true" /> {bot.data.bot?.username ?? "bot"} connected
              </>
            ) : bot.data ? (
              <Link href="/sync">
                <span class="dot" aria-hidden="true" /> No bot connected
              </Link>
            ) : null}
          </span>
        </header>
        <nav id="sidenav" class={`sidenav ${menuOpen ? "open" : ""}`} aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li>
                <Link href={n.path} class="nav-link" aria-current={loc.path.startsWith(n.path) ? "page" : undefined}>
                  <span class="nav-icon" aria-hidden="true">
                    {n.icon}
                  </span>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" class="content" tabIndex={-1}>
          {FILTERED.some((p) => loc.path.startsWith(p)) && <FilterBar />}
          {page}
        </main>
      </div>
    </AppContext.Provider>
  );
}

function route(path: string) {
  if (path.startsWith("/overview")) return <OverviewPage />;
  const member = match("/people/:id", path);
  if (member) return <MemberPage userId={member.id} />;
  if (path.startsWith("/people")) return <PeoplePage />;
  if (path.startsWith("/interactions")) return <InteractionsPage />;
  const channel = match("/channels/:id", path);
  if (channel) return <ChannelPage channelId={channel.id} />;
  if (path.startsWith("/channels")) return <ChannelsPage />;
  if (path.startsWith("/conversations")) return <ConversationsPage />;
  if (path.startsWith("/reactions")) return <ReactionsPage />;
  if (path.startsWith("/retention")) return <RetentionPage />;
  if (path.startsWith("/community")) return <CommunityPage />;
  if (path.startsWith("/sql")) return <SqlPage />;
  if (path.startsWith("/sync")) return <SyncPage />;
  if (path.startsWith("/billing")) return <BillingPage />;
  if (path === "/" || path === "") return null;
  return (
    <div class="card">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/overview">Go to the overview</Link>.
      </p>
    </div>
  );
}
