import type { HostStorage } from "../azure/context";
import type { NotificationsSpec } from "../spec";
import type { NotifierOptions } from "./notifier";
import { Notifier } from "./notifier";
import { loadNotifySettings } from "./settings";
import { NotifyStore } from "./store";

/**
 * A Notifier configured from app settings; fails fast naming the setting that is wrong. Its store is the Functions
 * host's own storage, reached through the process's Azure context (`azureContext().hostStorage(env)`): a connection
 * string locally, `AzureWebJobsStorage__accountName` with the app's credential in Azure.
 */
/**
 * The Notifier of one environment, configured from app settings with that environment's channels, routes, quiet
 * hours and digest window, over that environment's outbox; fails fast naming the setting that is wrong.
 */
export async function createNotifierFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  environment: string,
  notifications: NotificationsSpec,
  options: Omit<NotifierOptions, "notifications" | "settings" | "store"> & { storage: HostStorage },
): Promise<Notifier> {
  const { storage, ...rest } = options;
  const settings = loadNotifySettings(env, notifications);
  const store = await NotifyStore.open({ storage }, environment);
  return new Notifier({ ...rest, notifications, settings, store });
}
