// The operations page's script: fetches each panel's JSON from the function app (the page's own URL + /<panel>,
// with the function key the page was opened with) and draws it. Text from the server only ever goes into text
// nodes; the only markup inserted is the SVG mermaid produced (securityLevel "strict" sanitizes it).
import mermaid from "mermaid";
import type {
  ArchitecturePanel,
  BackupsPanel,
  CertificateRow,
  ClusterRow,
  DriftPanel,
  EventRow,
  PanelName,
  PanelResult,
  ProvisioningPanel,
  RunbookRow,
  UpgradesPanel,
} from "../lib/api/overview";
import "./ops.css";

const environment = document.body.dataset["environment"] ?? "";
const functionKey = new URLSearchParams(location.search).get("code");
const base = location.pathname.replace(/\/+$/, "");

mermaid.initialize({
  startOnLoad: false,
  securityLevel: "strict",
  theme: "base",
  fontFamily: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif",
  // Dark text on light fills for contrast; failed Gantt bars (crit) are dark red with white text.
  themeVariables: {
    primaryColor: "#ddf4ff",
    primaryTextColor: "#1f2328",
    primaryBorderColor: "#0550ae",
    lineColor: "#57606a",
    secondaryColor: "#f6f8fa",
    tertiaryColor: "#ffffff",
    critBkgColor: "#a40e26",
    critBorderColor: "#7d0a1d",
    doneTaskBkgColor: "#dafbe1",
    doneTaskBorderColor: "#116329",
    activeTaskBkgColor: "#ddf4ff",
    activeTaskBorderColor: "#0550ae",
    taskTextColor: "#1f2328",
    taskTextDarkColor: "#1f2328",
    taskTextOutsideColor: "#1f2328",
    sectionBkgColor: "#f6f8fa",
    altSectionBkgColor: "#ffffff",
  },
  gantt: { barHeight: 18, barGap: 4, topPadding: 40, leftPadding: 110, fontSize: 12, sectionFontSize: 12 },
  flowchart: { useMaxWidth: false },
});

// ---- small DOM helpers ------------------------------------------------------------------------------------------

type Child = Node | string | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) if (child !== undefined && child !== false) el.append(child);
  return el;
}

const SYMBOLS: Record<string, string> = {
  succeeded: "✔",
  completed: "✔",
  healthy: "✔",
  valid: "✔",
  recovered: "✔",
  failed: "✖",
  expired: "✖",
  escalate: "✖",
  unhealthy: "✖",
  nocapacity: "✖",
  running: "●",
  pending: "○",
  "near-expiry": "▲",
  warning: "▲",
  skipped: "–",
  terminated: "–",
  canceled: "⊘",
  unknown: "?",
};

function badge(state: string, text = state): HTMLElement {
  const key = state.toLowerCase();
  return h("span", { class: `badge ${key}` }, `${SYMBOLS[key] ?? "•"} ${text}`);
}

function utc(iso: string | undefined): string {
  if (iso === undefined || !Number.isFinite(Date.parse(iso))) return "—";
  return `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * A time the workflows recorded, in real UTC. A local host run with `--time-scale N` gives the workflows a clock N
 * times faster than the wall clock from its start (`data-clock="N@start"` on the page); mapped back, an event shows
 * when it happened, not hours in the future. Deployed (no data-clock) it is `utc` as is.
 */
const clock = /^([\d.]+)@(.+)$/.exec(document.body.dataset["clock"] ?? "");
function workflowUtc(iso: string | undefined): string {
  if (!clock || iso === undefined) return utc(iso);
  const factor = Number(clock[1]);
  const origin = Date.parse(clock[2]!);
  const at = Date.parse(iso);
  if (!(factor > 0) || !Number.isFinite(origin) || !(at > origin)) return utc(iso);
  return utc(new Date(origin + (at - origin) / factor).toISOString());
}

function duration(seconds: number | undefined): string {
  if (seconds === undefined) return "—";
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function table(caption: string, headers: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...rows),
    ),
  );
}

function row(cells: Child[], attrs: Record<string, string> = {}): HTMLTableRowElement {
  return h("tr", attrs, ...cells.map((c) => h("td", {}, c)));
}

let diagramCount = 0;

/** Renders mermaid text into a scrollable, keyboard-focusable figure; a parse error is shown, not thrown. */
async function diagram(text: string, label: string, fit: boolean): Promise<HTMLElement> {
  const figure = h("figure", {
    class: `diagram${fit ? " fit" : ""}`,
    tabindex: "0",
    role: "group",
    "aria-label": `${label} (scrollable)`,
  });
  try {
    const { svg } = await mermaid.render(`diagram-${++diagramCount}`, text);
    figure.innerHTML = svg;
    const drawn = figure.querySelector("svg");
    drawn?.setAttribute("role", "img");
    drawn?.setAttribute("aria-label", label);
  } catch (err) {
    figure.append(h("p", { class: "unavailable" }, `The diagram could not be drawn: ${String(err)}`));
  }
  return figure;
}

// ---- panels -----------------------------------------------------------------------------------------------------

async function architecture(data: ArchitecturePanel): Promise<Node[]> {
  return [
    h(
      "p",
      {},
      `Drawn from the plan of ${data.specFrom === "last build" ? "the spec of the last build" : "the seed default spec"}; resource groups: ${data.resourceGroups.join(", ")}.`,
    ),
    await diagram(
      data.mermaid,
      `Architecture of ${environment}: resource groups, networks, clusters and their pools`,
      false,
    ),
    h("details", {}, h("summary", {}, "Diagram as text (Mermaid)"), h("pre", {}, data.mermaid)),
  ];
}

/** A cancelled build: when it was cancelled and what the cancel did to the work that was running. */
function canceledBanner(canceled: NonNullable<ProvisioningPanel["canceled"]>): HTMLElement {
  const list = (names: string[]) => (names.length > 0 ? names.join(", ") : "none");
  return h(
    "p",
    { class: "banner canceled", role: "status" },
    `⊘ Build canceled (requested ${workflowUtc(canceled.requestedAt)}). `,
    `Cancelled in ARM: ${list(canceled.cancelledInArm)}. `,
    `Awaited to their end: ${list(canceled.awaited)}. `,
    `Never started: ${list(canceled.notStarted)}. `,
    "Post the build again to finish it.",
  );
}

async function provisioning(data: ProvisioningPanel): Promise<Node[]> {
  const failed = data.deployments.filter((d) => d.state === "failed");
  const status = data.runtimeStatus.toLowerCase();
  const banner = data.canceled
    ? canceledBanner(data.canceled)
    : failed.length > 0 || status === "failed"
      ? h(
          "p",
          { class: "banner failed", role: "alert" },
          `✖ Build ${status === "failed" ? "failed" : "has failures"}: ${failed.length} deployment(s) failed${failed.length > 0 ? ` (${failed.map((d) => d.name).join(", ")})` : ""}.`,
        )
      : status === "completed"
        ? h("p", { class: "banner succeeded" }, `✔ Build completed: ${data.counts.succeeded} deployment(s) succeeded.`)
        : h(
            "p",
            { class: "banner running" },
            `● Build ${status}: ${data.counts.running} running, ${data.counts.pending} pending.`,
          );
  const summary = h(
    "p",
    {},
    `Mode ${data.mode}, started ${workflowUtc(data.startedAt)}, last update ${workflowUtc(data.lastUpdatedTime)}, span ${duration(Math.round(data.makespanSeconds))}. `,
    `${data.counts.succeeded} succeeded, ${data.counts.failed} failed, ${data.counts.running} running, ${data.counts.pending} pending, ${data.counts.skipped} skipped.`,
  );
  const rows = data.deployments.map((d) =>
    row(
      [
        d.name,
        d.phase,
        d.cluster ?? "shared",
        badge(d.state, d.reused ? `${d.state} (unchanged)` : d.state),
        workflowUtc(d.startedAt),
        duration(d.durationSeconds),
        d.error ? [`${d.error.code}: ${d.error.message}`, ...d.error.causes].join(" — ") : "",
      ],
      d.state === "failed" ? { class: "failed", "data-state": "failed" } : { "data-state": d.state },
    ),
  );
  return [
    banner,
    summary,
    data.gantt
      ? await diagram(
          data.gantt,
          `Timeline of the build's deployments; failed ones in dark red and labelled FAILED`,
          true,
        )
      : h("p", { class: "no-data" }, "No deployment has started yet."),
    table(
      "Deployments of the last build",
      ["Deployment", "Phase", "Cluster", "State", "Started", "Took", "Error"],
      rows,
    ),
  ];
}

function clusters(data: ClusterRow[]): Node[] {
  return [
    h(
      "div",
      { class: "clusters" },
      ...data.map((c) => {
        const spot = c.spot;
        const latest = spot.latest;
        return h(
          "article",
          { class: "cluster", "aria-labelledby": `cluster-${c.name}` },
          h(
            "h3",
            { id: `cluster-${c.name}` },
            `${c.name} (${c.role}) `,
            c.removal
              ? badge(
                  c.removal.state === "teardown failed" ? "failed" : "skipped",
                  `${c.removal.state} ${utc(c.removal.at)}${c.removal.backups ? `, backups ${c.removal.backups}` : ""}`,
                )
              : c.buildState
                ? badge(c.buildState, `build ${c.buildState}`)
                : undefined,
          ),
          h(
            "p",
            { class: "muted" },
            `${c.aksName} in ${c.resourceGroup}, Kubernetes ${c.kubernetesVersion}, ${c.tier} tier, zones ${c.zones.join("/")}`,
          ),
          h(
            "ul",
            { "aria-label": `Pools of ${c.name}` },
            ...c.pools.map((p) => h("li", {}, `${p.name}: ${p.detail}, zones ${p.zones.join("/")}`)),
          ),
          h(
            "p",
            {},
            `Spot: ${spot.evictions} eviction(s) in ${spot.watches} watch(es) over 14 days. `,
            spot.noSpotCapacity ? badge("nocapacity", "no Spot capacity seen") : undefined,
          ),
          latest
            ? h(
                "p",
                {},
                "Latest watch: ",
                badge(latest.outcome ?? latest.runtimeStatus, latest.outcome ?? latest.phase ?? latest.runtimeStatus),
                ` ${workflowUtc(latest.at)}${latest.reason ? `: ${latest.reason}` : ""}`,
              )
            : h("p", { class: "muted" }, "No eviction watch in the last 14 days."),
        );
      }),
    ),
  ];
}

function events(data: EventRow[]): Node[] {
  const rows = data.map((e) =>
    row(
      [
        e.occurredAt !== undefined ? utc(e.occurredAt) : workflowUtc(e.startedAt),
        e.kind,
        e.cluster ?? "—",
        e.what,
        badge(e.runtimeStatus),
        e.did,
        h("a", { href: e.runbook, rel: "noreferrer" }, `${e.opsId} runbook`),
      ],
      { "data-instance": e.instanceId },
    ),
  );
  return [
    table(
      "Events, newest first",
      ["When", "Kind", "Cluster", "What happened", "Status", "What the app did", "Runbook"],
      rows,
    ),
  ];
}

function certificates(data: CertificateRow[]): Node[] {
  const rows = data.map((c) =>
    row([
      c.name,
      c.version ?? "—",
      utc(c.expiresAt),
      c.daysLeft !== undefined ? String(c.daysLeft) : "—",
      badge(c.state),
      c.source === "event" ? `event${c.did ? `: ${c.did}` : ""}` : "Key Vault, read now",
    ]),
  );
  return [table("Certificate expiry", ["Certificate", "Version", "Expires", "Days left", "State", "Source"], rows)];
}

/** 14 days as stacked bars (healthy below, not healthy above); days without a report are left empty. */
function trendChart(data: BackupsPanel): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const width = 560;
  const height = 160;
  const barWidth = width / data.days;
  const last = data.latest?.generatedAt ?? data.trend.at(-1)?.date ?? new Date().toISOString();
  const end = Date.parse(`${last.slice(0, 10)}T00:00:00Z`);
  const byDay = new Map(data.trend.map((p) => [p.date, p]));
  const max = Math.max(1, ...data.trend.map((p) => p.healthy + p.unhealthy));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + 20}`);
  svg.setAttribute("role", "img");
  const described = data.trend.map((p) => `${p.date}: ${p.healthy} healthy, ${p.unhealthy} not healthy`).join("; ");
  svg.setAttribute("aria-label", `Backup verification, last ${data.days} days. ${described}`);
  const rect = (x: number, y: number, w: number, hgt: number, fill: string) => {
    const r = document.createElementNS(ns, "rect");
    for (const [k, v] of Object.entries({ x, y, width: w, height: hgt, fill })) r.setAttribute(k, String(v));
    svg.append(r);
  };
  for (let i = 0; i < data.days; i++) {
    const date = new Date(end - (data.days - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    const p = byDay.get(date);
    const x = i * barWidth + 2;
    if (p) {
      const hh = (p.healthy / max) * height;
      const uh = (p.unhealthy / max) * height;
      rect(x, height - hh, barWidth - 4, hh, "#116329");
      rect(x, height - hh - uh, barWidth - 4, uh, "#a40e26");
    } else {
      rect(x, height - 2, barWidth - 4, 2, "#d0d7de");
    }
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", String(x + (barWidth - 4) / 2));
    label.setAttribute("y", String(height + 14));
    label.setAttribute("text-anchor", "middle");
    label.setAttribute("font-size", "10");
    label.setAttribute("fill", "#1f2328");
    label.textContent = date.slice(8, 10);
    svg.append(label);
  }
  return svg;
}

function backups(data: BackupsPanel): Node[] {
  const nodes: Node[] = [];
  const latest = data.latest;
  if (latest) {
    nodes.push(
      h(
        "p",
        {},
        `Latest report ${workflowUtc(latest.generatedAt)}: `,
        badge("healthy", `${latest.healthy} healthy`),
        " ",
        latest.unhealthy > 0 ? badge("unhealthy", `${latest.unhealthy} not healthy`) : "none unhealthy",
      ),
    );
  }
  nodes.push(
    h(
      "figure",
      { class: "trend" },
      trendChart(data),
      h("figcaption", { class: "muted" }, "Green: healthy instances; dark red: not healthy; grey: no report that day."),
    ),
  );
  nodes.push(
    h(
      "details",
      {},
      h("summary", {}, "Trend as a table"),
      table(
        "Daily results",
        ["Day", "Healthy", "Not healthy"],
        data.trend.map((p) => row([p.date, String(p.healthy), String(p.unhealthy)])),
      ),
    ),
  );
  if (latest) {
    nodes.push(
      table(
        "Instances in the latest report",
        ["Instance", "Cluster", "Verdict", "Recovery point age", "Problems"],
        latest.instances.map((r) =>
          row([
            r.name,
            r.cluster ?? "—",
            badge(r.verdict === "healthy" ? "healthy" : "unhealthy", r.verdict),
            r.ageHours === null ? "—" : `${r.ageHours} h`,
            r.problems.join("; "),
          ]),
        ),
      ),
    );
  }
  return nodes;
}

function drift(data: DriftPanel): Node[] {
  const nodes: Node[] = [
    h(
      "p",
      {},
      `Checked ${workflowUtc(data.checkedAt)} (${data.trigger}, ${data.units.length} units): `,
      data.findings.length === 0
        ? badge("healthy", "no drift")
        : badge("unhealthy", `${data.findings.length} resource(s) drifted, severity ${data.severity}`),
    ),
  ];
  if (data.findings.length > 0)
    nodes.push(
      table(
        "Drifted resources (now in Azure → in the spec)",
        ["Severity", "Resource", "Unit", "Changes"],
        data.findings.map((f) =>
          row([
            badge(f.severity === "high" ? "unhealthy" : "healthy", f.severity),
            `${f.resourceType} ${f.resourceName}`,
            f.unit,
            f.changes.map((c) => c.text).join("; "),
          ]),
        ),
      ),
    );
  if (data.errors.length > 0)
    nodes.push(
      h("p", { class: "muted" }, `Not checked: ${data.errors.map((e) => `${e.unit} (${e.message})`).join("; ")}`),
    );
  const noise = Object.entries(data.suppressed);
  if (noise.length > 0)
    nodes.push(h("p", { class: "muted" }, `Noise removed: ${noise.map(([k, v]) => `${v} ${k}`).join(", ")}`));
  return nodes;
}

function upgrades(data: UpgradesPanel): Node[] {
  const run = data.run;
  const state = run.state;
  const bannerClass =
    state === "succeeded"
      ? "succeeded"
      : ["blocked", "refused", "rejected", "stopped"].includes(state)
        ? "failed"
        : "running";
  const nodes: Node[] = [
    h(
      "p",
      { class: `banner ${bannerClass}`, ...(bannerClass === "failed" ? { role: "alert" } : {}) },
      `Upgrade ${run.runId}: ${state}${run.waitingFor ? ` — waiting for ${run.waitingFor}` : ""}`,
    ),
    h(
      "p",
      {},
      `Started ${workflowUtc(run.startedAt)}${run.endedAt ? `, ended ${workflowUtc(run.endedAt)}` : ""}. ${run.problems.join(" ")}`,
    ),
  ];
  const rows = run.stages.flatMap((stage) =>
    stage.clusters.map((c) =>
      row(
        [
          `${stage.name} (${stage.state})`,
          c.cluster,
          badge(c.state),
          [...c.changes].join("; "),
          c.steps.map((s) => `${s.state}: ${s.label}`).join(" · "),
          [c.reason ?? "", ...c.gates.filter((g) => !g.ok).flatMap((g) => [`${g.gate}: ${g.summary}`, ...g.evidence])]
            .filter(Boolean)
            .join(" — "),
        ],
        { "data-state": c.state },
      ),
    ),
  );
  nodes.push(
    table("Stages and clusters of the run", ["stage", "cluster", "state", "changes", "steps", "evidence"], rows),
  );
  return nodes;
}

function runbooks(data: RunbookRow[]): Node[] {
  return [h("ul", {}, ...data.map((r) => h("li", {}, h("a", { href: r.href, rel: "noreferrer" }, r.heading))))];
}

const RENDERERS: Record<PanelName, (data: never) => Node[] | Promise<Node[]>> = {
  architecture,
  provisioning,
  clusters,
  events,
  certificates,
  backups,
  drift,
  upgrades,
  runbooks,
};

// ---- loading ------------------------------------------------------------------------------------------------------

async function fetchPanel(panel: PanelName): Promise<PanelResult<unknown>> {
  const response = await fetch(`${base}/${panel}`, {
    headers: { accept: "application/json", ...(functionKey ? { "x-functions-key": functionKey } : {}) },
    cache: "no-store",
  });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${panel}`);
  return (await response.json()) as PanelResult<unknown>;
}

async function loadPanel(section: HTMLElement): Promise<void> {
  const panel = section.dataset["panel"] as PanelName;
  const target = section.querySelector<HTMLElement>(".panel-body");
  if (!target) return;
  section.setAttribute("aria-busy", "true");
  let nodes: Node[];
  try {
    const result = await fetchPanel(panel);
    section.dataset["state"] = result.state;
    nodes =
      result.state === "ok"
        ? await RENDERERS[panel](result.data as never)
        : [
            h(
              "p",
              { class: result.state },
              result.state === "no-data" ? `No data yet: ${result.reason}` : `Unavailable: ${result.reason}`,
            ),
          ];
  } catch (err) {
    section.dataset["state"] = "unavailable";
    nodes = [h("p", { class: "unavailable" }, `Unavailable: ${err instanceof Error ? err.message : String(err)}`)];
  }
  target.replaceChildren(...nodes);
  // A table too wide for its panel scrolls; keyboard users must be able to reach (and so scroll) it.
  for (const wrap of target.querySelectorAll<HTMLElement>(".table-wrap")) {
    if (wrap.scrollWidth > wrap.clientWidth) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", `${wrap.querySelector("caption")?.textContent ?? "Table"} (scrollable)`);
    }
  }
  section.setAttribute("aria-busy", "false");
}

async function loadAll(): Promise<void> {
  document.body.dataset["loaded"] = "false";
  const sections = [...document.querySelectorAll<HTMLElement>("section[data-panel]")];
  // Diagrams are drawn one at a time: mermaid's renderer is not safe to run concurrently.
  for (const section of sections) await loadPanel(section);
  const updated = document.getElementById("updated");
  if (updated) updated.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC`;
  document.body.dataset["loaded"] = "true";
}

document.getElementById("reload")?.addEventListener("click", () => {
  void loadAll();
});
void loadAll();
