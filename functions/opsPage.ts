import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { azureContext } from "../lib/azure";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { BackupReportStore } from "../lib/backup";
import { Functions } from "../lib/function-names";
import { SETTING_RUNBOOK_URL } from "../lib/notify/settings";
import { handleOpsData, type BackupHistory, type OverviewSources } from "../lib/api/overview";
import {
  assetResponse,
  OPS_ASSETS_ROUTE,
  opsPageHeaders,
  renderOpsPage,
  versionedAssets,
  workflowClock,
  type OpsPageAssets,
} from "../lib/api/overview-page";
import { methodNotAllowed, routeNames } from "../lib/api/http";
import { renderRunbooksPage, RUNBOOKS_ROUTE, runbooksUrlFor } from "../lib/api/runbooks";
import { TLS_CERT_SECRET } from "../lib/ops/reactions";
import { KEYVAULT_URL_SETTING, readTlsSecret, vaultUrl } from "../orchestrations/reactions/activities/scanTlsSecrets";
import { reportContainer } from "../orchestrations/backup/activities/writeBackupReport";
import { DRIFT_REPORT_CONTAINER, DriftReportStore } from "../lib/drift";
import { durableBuildInstances, instanceView } from "../orchestrations/shared/durableBuilds";
import { environmentRegistry, forKnownEnvironment } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/**
 * The operations page (`GET /api/environments/{env}/ops`) and its JSON panels (`…/ops/{panel}`), behind the
 * function key like every other endpoint. The page's script and style are bundled by scripts/build-web.mjs into
 * dist/web and served as versioned, cacheable assets (`/api/ops-assets/{file}`, static, no key).
 */

/**
 * Where the bundled page lives: web/ beside the deployable bundle (dist/app/app.js, scripts/bundle.mjs copies it),
 * dist/web beside the compiled functions (dist/functions), or dist/web when running from sources.
 */
function assetDir(): string {
  const candidates = [
    path.resolve(__dirname, "web"),
    path.resolve(__dirname, "..", "web"),
    path.resolve(__dirname, "..", "dist", "web"),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, "ops-page.js"))) ?? candidates[candidates.length - 1]!;
}

let cached: { mtimeMs: number; assets: ReturnType<typeof versionedAssets> } | undefined;

/** The bundled assets, read again (with new names) only when the bundle was rebuilt. */
function pageAssets(): ReturnType<typeof versionedAssets> | undefined {
  const dir = assetDir();
  const scriptFile = path.join(dir, "ops-page.js");
  if (!existsSync(scriptFile)) return undefined;
  const mtimeMs = statSync(scriptFile).mtimeMs;
  if (cached?.mtimeMs !== mtimeMs) {
    const assets: OpsPageAssets = {
      script: readFileSync(scriptFile, "utf8"),
      style: readFileSync(path.join(dir, "ops-page.css"), "utf8"),
    };
    cached = { mtimeMs, assets: versionedAssets(assets) };
  }
  return cached.assets;
}

const NOT_BUILT = {
  status: 503,
  jsonBody: { error: "the operations page is not built: run `npm run build` (scripts/build-web.mjs)" },
};

export function opsPage(request: HttpRequest): HttpResponseInit {
  if (request.method.toUpperCase() !== "GET") return toHttpResponse(methodNotAllowed(request.method, ["GET"]));
  const route = routeNames(toApiRequest(request), ["env"]);
  if (!route.ok) return toHttpResponse(route.response);
  const assets = pageAssets();
  if (!assets) return NOT_BUILT;
  return {
    status: 200,
    headers: opsPageHeaders(),
    body: renderOpsPage(route.names.env, { script: assets.script.name, style: assets.style.name }, workflowClock()),
  };
}

/** `GET /api/runbooks`: the README's runbooks (its Operate section), for the links of the page and the alerts. */
export function runbooksPage(request: HttpRequest): HttpResponseInit {
  if (request.method.toUpperCase() !== "GET") return toHttpResponse(methodNotAllowed(request.method, ["GET"]));
  const readme = path.join(assetDir(), "README.md");
  if (!existsSync(readme)) return NOT_BUILT;
  return {
    status: 200,
    headers: { ...opsPageHeaders(), "Cache-Control": "public, max-age=300" },
    body: renderRunbooksPage(readFileSync(readme, "utf8")),
  };
}

/** `GET /api/ops-assets/{file}`: the page's versioned script or style; an outdated or unknown name is 404. */
export function opsAsset(request: HttpRequest): HttpResponseInit {
  if (request.method.toUpperCase() !== "GET") return toHttpResponse(methodNotAllowed(request.method, ["GET"]));
  const assets = pageAssets();
  if (!assets) return NOT_BUILT;
  const asset = [assets.script, assets.style].find((a) => a.name === request.params["file"]);
  if (!asset) return { status: 404, jsonBody: { error: `no asset ${request.params["file"] ?? ""}` } };
  return assetResponse(asset, {
    acceptEncoding: request.headers.get("accept-encoding"),
    ifNoneMatch: request.headers.get("if-none-match"),
  });
}

/** The README's web address for runbook links, when set to an https URL. */
function runbookBaseUrl(): string | undefined {
  const value = process.env[SETTING_RUNBOOK_URL]?.trim();
  if (!value || !URL.canParse(value) || new URL(value).protocol !== "https:") return undefined;
  return value.replace(/#.*$/, "");
}

/**
 * Key Vault is read only where it can be reached: in Azure (WEBSITE_INSTANCE_ID is set on every App Service
 * instance) or when its URL is configured; elsewhere a credential lookup would only time out.
 */
function keyVaultReadable(): boolean {
  return Boolean(process.env["WEBSITE_INSTANCE_ID"] || process.env[KEYVAULT_URL_SETTING]?.trim());
}

/**
 * Where the ops page's runbook links point: `AKS_PLATFORM_RUNBOOK_URL` when set, else this app's own runbooks page
 * (absolute, from the address the request came to), so a link never 404s.
 */
function runbooksBase(requestUrl: string): string | undefined {
  return runbookBaseUrl() ?? runbooksUrlFor(requestUrl);
}

export function overviewSources(
  client: DurableClient,
  environments: OverviewSources["environments"],
  runbooks?: string,
): OverviewSources {
  return {
    builds: durableBuildInstances(client),
    environments,
    async instancesSince(since) {
      const list = await client.getStatusBy({ createdTimeFrom: since });
      return list.map((s) => ({ name: s.name, ...instanceView(s) }));
    },
    async backupHistory(environment, today, days): Promise<BackupHistory> {
      const signal = AbortSignal.timeout(20_000);
      const store = new BackupReportStore(reportContainer());
      const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const trend = await store.earlierTrend(environment, tomorrow, days, signal);
      const newest = trend.at(-1);
      const latest = newest ? await store.load(environment, newest.date, signal) : undefined;
      return { trend, ...(latest ? { latest } : {}) };
    },
    async driftReport(environment) {
      const store = new DriftReportStore(reportContainer(process.env, DRIFT_REPORT_CONTAINER));
      return store.latest(environment, AbortSignal.timeout(20_000));
    },
    ...(keyVaultReadable()
      ? {
          async currentCertificate(spec) {
            const now = new Date();
            const secret = await readTlsSecret(
              vaultUrl(spec.shared.keyVault.name),
              TLS_CERT_SECRET,
              azureContext(),
              now,
              AbortSignal.timeout(10_000),
            );
            return {
              vault: spec.shared.keyVault.name,
              secret: secret.name,
              version: secret.version,
              subject: secret.certificate.subject,
              notBefore: secret.certificate.notBefore,
              notAfter: secret.certificate.notAfter,
              state: secret.state,
            };
          },
        }
      : {}),
    ...(runbooks !== undefined ? { runbookBaseUrl: runbooks } : {}),
    now: () => new Date(),
  };
}

export async function opsData(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const sources = overviewSources(df.getClient(context), await environmentRegistry(), runbooksBase(request.url));
  return toHttpResponse(await handleOpsData(toApiRequest(request), sources));
}

app.http(Functions.opsPage, {
  route: "environments/{env}/ops",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  handler: forKnownEnvironment(opsPage),
});

app.http(Functions.opsAsset, {
  route: `${OPS_ASSETS_ROUTE}/{file}`,
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  // Static script and style of the page, the same for every environment: no data, so no key.
  authLevel: "anonymous",
  handler: opsAsset,
});

app.http(Functions.runbooks, {
  route: RUNBOOKS_ROUTE,
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  // The README's runbooks, the same for every deployment: no data, so no key (a link in an alert must open).
  authLevel: "anonymous",
  handler: runbooksPage,
});

app.http(Functions.opsData, {
  route: "environments/{env}/ops/{panel}",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: forKnownEnvironment(opsData),
});
