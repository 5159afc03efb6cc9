import { createHash } from "node:crypto";
import { PANEL_SOURCES, PANELS, type PanelName } from "./overview";

/**
 * The operations page itself: a server-rendered shell (headings, sources, placeholders: readable before and
 * without the script) with the bundled script and style inlined, so the page is one response behind the function
 * key with nothing fetched from elsewhere. The Content-Security-Policy allows exactly that script (by hash) and
 * calls back to this host only.
 */

export interface OpsPageAssets {
  /** The bundled page script (dist/web/ops-page.js). */
  script: string;
  /** The bundled style sheet (dist/web/ops-page.css). */
  style: string;
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

/** `</script` inside the script would end the element early; the bundle never needs it literally. */
function inlineScript(script: string): string {
  return script.replace(/<\/(script)/gi, "<\\/$1");
}

/** The response headers of the page: CSP by script hash, no referrer (the function key is in the page's URL). */
export function opsPageHeaders(script: string): Record<string, string> {
  const hash = createHash("sha256").update(inlineScript(script), "utf8").digest("base64");
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    // Mermaid writes <style> into each SVG, hence 'unsafe-inline' for styles (never for scripts).
    "Content-Security-Policy": [
      "default-src 'none'",
      `script-src 'sha256-${hash}'`,
      "style-src 'unsafe-inline'",
      "img-src data:",
      "font-src data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  };
}

export function renderOpsPage(environment: string, assets: OpsPageAssets): string {
  const env = escapeHtml(environment);
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
<style>${assets.style}</style>
</head>
<body data-environment="${env}">
<a class="skip-link" href="#main">Skip to content</a>
<header class="page-header">
  <h1>Operations: ${env}</h1>
  <nav aria-label="Panels"><ul>${nav}</ul></nav>
  <div class="refresh"><span id="updated" role="status">Not loaded yet</span><button type="button" id="reload">Refresh</button></div>
</header>
<main id="main" tabindex="-1">${sections}
</main>
<script>${inlineScript(assets.script)}</script>
</body>
</html>
`;
}
