import type { TokenCredential } from "@azure/core-auth";
import type { NotificationsSpec } from "../spec";
import type { NotifierOptions } from "./notifier";
import { Notifier } from "./notifier";
import { loadNotifySettings } from "./settings";
import type { StoreConnection } from "./store";
import { NotifyStore } from "./store";

/**
 * Where the notify table lives: the Functions host's own storage account. `AzureWebJobsStorage` holds a connection
 * string locally (Azurite); in Azure the identity-based form `AzureWebJobsStorage__tableServiceUri` /
 * `AzureWebJobsStorage__accountName` is used with the process's credential.
 */
export function storeConnectionFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  credential?: TokenCredential,
): StoreConnection {
  const connectionString = env["AzureWebJobsStorage"]?.trim();
  if (connectionString) return { connectionString };
  const account = env["AzureWebJobsStorage__accountName"]?.trim();
  const tableServiceUrl =
    env["AzureWebJobsStorage__tableServiceUri"]?.trim() ||
    (account ? `https://${account}.table.core.windows.net` : undefined);
  if (tableServiceUrl) {
    if (!credential)
      throw new Error(
        "notify store: AzureWebJobsStorage__tableServiceUri/__accountName needs a credential to be passed in",
      );
    return { tableServiceUrl, credential };
  }
  throw new Error(
    "notify store: set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__accountName (identity-based)",
  );
}

/**
 * The Notifier of one environment, configured from app settings with that environment's channels, routes, quiet
 * hours and digest window, over that environment's outbox; fails fast naming the setting that is wrong.
 */
export async function createNotifierFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  environment: string,
  notifications: NotificationsSpec,
  options: Omit<NotifierOptions, "notifications" | "settings" | "store"> & { credential?: TokenCredential } = {},
): Promise<Notifier> {
  const { credential, ...rest } = options;
  const settings = loadNotifySettings(env, notifications);
  const store = await NotifyStore.open(storeConnectionFromEnv(env, credential), environment);
  return new Notifier({ ...rest, notifications, settings, store });
}
