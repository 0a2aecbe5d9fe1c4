// The shell's shared state (bot status, filters), provided by web/src/app.tsx and read by the pages
// through useApp(). Its own module so pages do not import the shell that imports them.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { BotStatus } from "./endpoints";
import type { Filters } from "./router";

export interface AppState {
  bot: BotStatus | undefined;
  botError: Error | undefined;
  reloadBot(): void;
  filters: Filters;
}
export const AppContext = createContext<AppState>(null as unknown as AppState);
export const useApp = () => useContext(AppContext);
