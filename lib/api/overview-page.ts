import { createHash } from "node:crypto";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import { PANEL_SOURCES, PANELS, type PanelName } from "./overview";

/**
 * The operations page itself: a server-rendered shell (headings, sources, placeholders: readable before and
 * without the script) that loads the bundled script and style as versioned assets: a content hash in the name,
 * cached `immutable` for a year and sent compressed, so a reload moves only the page and its JSON (the bundle,
 * mermaid included, is about 3.4 MB). The assets are static and hold no data, so they are served without a key;
 * the page and its JSON stay behind the function key. The Content-Security-Policy allows scripts and styles from
 * this host only and calls back to this host only.
 */

export interface OpsPageAssets {
  /** The bundled page script (dist/web/ops-page.js). */
  script: string;
  /** The bundled style sheet (dist/web/ops-page.css). */
  style: string;
}

/** The route (under /api) the versioned assets are served at. */
export const OPS_ASSETS_ROUTE = "ops-assets";

export interface VersionedAsset {
  /** `ops-page.<hash>.js` / `.css`: a new bundle gets a new name, so a cached copy is never stale. */
  name: string;
  contentType: string;
  body: Buffer;
  etag: string;
  /** Compressed copies, made on first request (brotli at a fast quality: the bundle is megabytes). */
  encoded(encoding: "br" | "gzip"): Buffer;
}

function versioned(base: string, ext: string, contentType: string, text: string): VersionedAsset {
  const body = Buffer.from(text, "utf8");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const cache = new Map<string, Buffer>();
  return {
    name: `${base}.${hash}.${ext}`,
    contentType,
    body,
    etag: `"${hash}"`,
    encoded(encoding) {
      let out = cache.get(encoding);
      if (!out) {
        out =
          encoding === "br"
            ? brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } })
            : gzipSync(body, { level: 9 });
        cache.set(encoding, out);
      }
      return out;
    },
  };
}

/** The page's script and style as versioned assets. */
export function versionedAssets(assets: OpsPageAssets): { script: VersionedAsset; style: VersionedAsset } {
  return {
    script: versioned("ops-page", "js", "text/javascript; charset=utf-8", assets.script),
    style: versioned("ops-page", "css", "text/css; charset=utf-8", assets.style),
  };
}

/** The answer for a versioned asset: compressed as the client accepts, cached for good, 304 when it has it. */
export function assetResponse(
  asset: VersionedAsset,
  request: { acceptEncoding: string | null; ifNoneMatch: string | null },
): { status: number; headers: Record<string, string>; body?: Buffer } {
  const headers: Record<string, string> = {
    "Content-Type": asset.contentType,
    "Cache-Control": "public, max-age=31536000, immutable",
    ETag: asset.etag,
    Vary: "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  };
  if (request.ifNoneMatch?.split(",").some((tag) => tag.trim() === asset.etag)) return { status: 304, headers };
  const accepted = (request.acceptEncoding ?? "").toLowerCase();
  const encoding = /\bbr\b/.test(accepted) ? "br" : /\bgzip\b/.test(accepted) ? "gzip" : undefined;
  if (!encoding) return { status: 200, headers, body: asset.body };
  return { status: 200, headers: { ...headers, "Content-Encoding": encoding }, body: asset.encoded(encoding) };
}

const TITLES: Record<PanelName, string> = {
  architecture: "Architecture",
  provisioning: "Last provisioning run",
  upgrades: "Last upgrade run",
  clusters: "Clusters, pools and Spot capacity",
  events: "Recent events and what the app did",
  certificates: "Certificates",
  backups: "Backup verification (14 days)",
  drift: "Drift from the spec",
  runbooks: "Runbooks",
};

const WIDE = new Set<PanelName>(["architecture", "provisioning", "clusters", "events", "upgrades"]);

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The response headers of the page: scripts and styles from this host only, no referrer (the key is in the URL). */
export function opsPageHeaders(): Record<string, string> {
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    // Mermaid writes <style> into each SVG, hence 'unsafe-inline' for styles (never for scripts).
    "Content-Security-Policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src data:",
      "font-src data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  };
}

/**
 * The page at `/api/environments/{env}/ops`; `assetNames` are the versioned file names, linked relative to the
 * page so they resolve under whatever route prefix the host uses.
 */
/** A local host's fast workflow clock: `factor` times the wall clock since `origin` (ISO). */
export interface WorkflowClock {
  factor: number;
  origin: string;
}

/** Set by the local host run with `--time-scale` (never in Azure): `factor@origin` of its durable clock. */
export const WORKFLOW_CLOCK_SETTING = "AKS_PLATFORM_LOCAL_WORKFLOW_CLOCK";

/** The local host's workflow clock, when it runs faster than the wall clock. */
export function workflowClock(env: NodeJS.ProcessEnv = process.env): WorkflowClock | undefined {
  const match = /^([\d.]+)@(.+)$/.exec(env[WORKFLOW_CLOCK_SETTING] ?? "");
  if (!match) return undefined;
  const factor = Number(match[1]);
  if (!(factor > 0) || factor === 1 || !Number.isFinite(Date.parse(match[2]!))) return undefined;
  return { factor, origin: match[2]! };
}

export function renderOpsPage(
  environment: string,
  assetNames: { script: string; style: string },
  clock?: WorkflowClock,
): string {
  const env = escapeHtml(environment);
  const clockAttribute = clock ? ` data-clock="${escapeHtml(`${clock.factor}@${clock.origin}`)}"` : "";
  const nav = PANELS.map((p) => `<li><a href="#${p}">${escapeHtml(TITLES[p])}</a></li>`).join("");
  const sections = PANELS.map(
    (p) => `
<section class="panel${WIDE.has(p) ? " wide" : ""}" id="${p}" aria-labelledby="${p}-title" aria-busy="true" data-panel="${p}">
  <h2 id="${p}-title">${escapeHtml(TITLES[p])}</h2>
  <p class="source">Source: ${escapeHtml(PANEL_SOURCES[p])}</p>
  <div class="panel-body" aria-live="polite"><p class="muted">Loading…</p></div>
</section>`,
  ).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Operations: ${env}</title>
<link rel="stylesheet" href="../../${OPS_ASSETS_ROUTE}/${escapeHtml(assetNames.style)}">
<script defer src="../../${OPS_ASSETS_ROUTE}/${escapeHtml(assetNames.script)}"></script>
</head>
<body data-environment="${env}"${clockAttribute}>
<a class="skip-link" href="#main">Skip to content</a>
<header class="page-header">
  <h1>Operations: ${env}</h1>
  <nav aria-label="Panels"><ul>${nav}</ul></nav>
  <div class="refresh"><span id="updated" role="status">Not loaded yet</span><button type="button" id="reload">Refresh</button></div>
</header>
<main id="main" tabindex="-1">${sections}
</main>
</body>
</html>
`;
}
