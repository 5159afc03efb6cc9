import { RUNBOOKS, type OpsId } from "../notify/message";
import { escapeHtml } from "./overview-page";

/**
 * The runbooks the app serves itself (`GET /api/runbooks`, no key): the README's "Operate" section, so a runbook
 * link always resolves for whoever deployed the app, with or without `AKS_PLATFORM_RUNBOOK_URL`. Each heading gets
 * GitHub's anchor (`#ops-2-spot-eviction`), so the same links work here and on the README's web page. The text is
 * shown as written (Markdown, escaped), not re-rendered: nothing to get wrong, nothing executable.
 */

export const RUNBOOKS_ROUTE = "runbooks";

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The README's `## Operate` section (to the next `## ` heading), or undefined when the README has none. */
export function operateSection(readme: string): string | undefined {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => /^## Operate\s*$/.test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** The runbooks page: one section per heading of the README's Operate part, each with its anchor. */
export function renderRunbooksPage(readme: string): string {
  const section = operateSection(readme) ?? "## Operate\n\n(The README of this deployment has no Operate section.)";
  const parts: string[] = [];
  let body: string[] = [];
  const flush = () => {
    const text = body.join("\n").trim();
    if (text) parts.push(`<pre>${escapeHtml(text)}</pre>`);
    body = [];
  };
  for (const line of section.split("\n")) {
    const heading = /^(#{2,4}) (.+)$/.exec(line);
    if (!heading) {
      body.push(line);
      continue;
    }
    flush();
    const level = heading[1]!.length;
    const title = heading[2]!.trim();
    parts.push(`<h${level} id="${escapeHtml(headingAnchor(title))}">${escapeHtml(title)}</h${level}>`);
  }
  flush();
  const index = (Object.keys(RUNBOOKS) as OpsId[])
    .map((id) => `<li><a href="#${RUNBOOKS[id].anchor}">${escapeHtml(RUNBOOKS[id].heading)}</a></li>`)
    .join("");
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><title>Runbooks · AKS Platform Automation</title>',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}",
    "pre{white-space:pre-wrap;font:inherit}h3{border-top:1px solid #ccc;padding-top:1rem}</style>",
    "</head><body>",
    `<nav><ul>${index}</ul></nav>`,
    ...parts,
    "</body></html>",
  ].join("\n");
}

/**
 * The runbooks' absolute address as seen by a request to this app: `https://host/api/runbooks` for a request to
 * `https://host/api/environments/k8s-demo/ops/runbooks` (whatever the route prefix is).
 */
export function runbooksUrlFor(requestUrl: string): string | undefined {
  if (!URL.canParse(requestUrl)) return undefined;
  const url = new URL(requestUrl);
  const at = url.pathname.indexOf("/environments/");
  if (at < 0) return undefined;
  return `${url.origin}${url.pathname.slice(0, at)}/${RUNBOOKS_ROUTE}`;
}
