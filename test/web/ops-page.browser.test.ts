import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalHost, type LocalHost } from "../../local/host";
import { startSandboxArm, type SandboxArm } from "../../local/sandbox";
import { OPS_IDS } from "../../lib/notify";
import { defaultSpec } from "../../lib/spec";
import { E2E_SPEED } from "../helpers/platform";
import { CHROMIUM_LAUNCH, chromiumMissingReason } from "../helpers/chromium";
import { runCli } from "../helpers/cli";
import { seedBackupReports } from "./fixtures";

/**
 * The operations page in a real browser (Debian's chromium through playwright-core) against the local host and
 * the sandbox ARM: a build with one failing cluster, a Spot eviction delivered to the Event Grid webhook, and
 * backup reports in the report container. Screenshots go to test-results/ops-page/.
 */

const chromiumMissing = chromiumMissingReason();
const testStarted = Date.now();

const KEY = "ops-page-function-key";
const ENV = defaultSpec.name;
const ROOT = path.resolve(__dirname, "..", "..");
const SHOTS = path.join(ROOT, "test-results", "ops-page");
interface BuildBody {
  runtimeStatus: string;
  progress: { deployments: { name: string; cluster?: string; state: string }[] };
}

const EVICTION_FIXTURE = path.join(
  ROOT,
  "test",
  "fixtures",
  "events",
  "health-annotated-preempted-vmss.eventgrid.json",
);

describe.skipIf(chromiumMissing !== undefined)(
  `operations page in chromium (local host + sandbox)${chromiumMissing ? ` — skipped: ${chromiumMissing}` : ""}`,
  () => {
    let sandbox: SandboxArm;
    let host: LocalHost;
    let browser: Browser;
    let dir: string;
    let failedDeployment: { name: string; cluster?: string };
    let evictionInstance: string;
    const armSettings = ["AKS_PLATFORM_ARM_ENDPOINT", "AKS_PLATFORM_ARM_TOKEN", "AKS_PLATFORM_ARM_CA_FILE"] as const;
    const saved = armSettings.map((name) => [name, process.env[name]] as const);
    const pageUrl = () => `${host.url}/api/environments/${ENV}/ops?code=${KEY}`;

    const api = (route: string, init: RequestInit = {}) =>
      fetch(`${host.url}/api/${route}`, { ...init, headers: { "x-functions-key": KEY, ...init.headers } });

    async function waitFor<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
      for (let i = 0; i < 600; i++) {
        const value = await read();
        if (value !== undefined) return value;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`${what} did not happen`);
    }

    async function newContext(options: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
      return browser.newContext({ viewport: { width: 1366, height: 768 }, ...options });
    }

    /** Opens the page and waits until every panel is drawn; console errors and page errors are collected. */
    async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (err) => errors.push(err.message));
      const response = await page.goto(pageUrl());
      expect(response?.status()).toBe(200);
      await page.waitForSelector("body[data-loaded='true']", { timeout: 60_000 });
      return { page, errors };
    }

    beforeAll(async () => {
      execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-web.mjs")], { cwd: ROOT, stdio: "pipe" });
      mkdirSync(SHOTS, { recursive: true });
      dir = mkdtempSync(path.join(tmpdir(), "ops-page-"));
      sandbox = await startSandboxArm({ timeScale: E2E_SPEED, subscriptionId: defaultSpec.subscriptionId });
      process.env.AKS_PLATFORM_ARM_ENDPOINT = sandbox.url;
      process.env.AKS_PLATFORM_ARM_TOKEN = sandbox.token;
      process.env.AKS_PLATFORM_ARM_CA_FILE = sandbox.caPath;
      // The first AKS cluster the sandbox creates fails (deployment faults match on the resource type only).
      sandbox.faults.add({
        match: { resourceType: "Microsoft.ContainerService/managedClusters" },
        times: 1,
        effect: {
          kind: "failResource",
          code: "QuotaExceeded",
          message: "Operation could not be completed as it results in exceeding approved cores quota",
        },
      });
      const settingsFile = path.join(dir, "local.settings.json");
      writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: {}, FunctionKeys: { default: KEY } }));
      host = await startLocalHost({ port: 0, settingsFile, timeScale: E2E_SPEED, taskHub: "opspage", timers: false });

      expect((await api(`environments/${ENV}/provision`, { method: "POST" })).status).toBe(202);
      const build = await waitFor("the build to finish", async () => {
        const body = (await (await api(`environments/${ENV}/provision`)).json()) as BuildBody;
        return ["Pending", "Running"].includes(body.runtimeStatus) ? undefined : body;
      });
      expect(build.runtimeStatus).toBe("Failed");
      const failed = build.progress.deployments.filter((d) => d.state === "failed");
      expect(failed).toHaveLength(1);
      failedDeployment = failed[0]!;

      // The eviction goes in the way an operator replays one: through the events CLI to the host's webhook.
      const replay = await runCli(
        ["events", "replay", EVICTION_FIXTURE, "--host", host.url, "--key", KEY, "--wait", "60", "--format", "json"],
        { cwd: ROOT },
      );
      expect(replay.code, `${replay.stdout}\n${replay.stderr}`).toBe(0);
      const rows = JSON.parse(replay.stdout) as { kind?: string; delivered?: string; instanceId?: string }[];
      expect(rows).toEqual([expect.objectContaining({ kind: "spot-eviction", delivered: "HTTP 200" })]);
      evictionInstance = rows[0]!.instanceId!;

      await seedBackupReports(process.env.AzureWebJobsStorage!, defaultSpec, new Date());

      // launch() gives every browser a fresh temporary --user-data-dir of its own (it refuses one passed in args).
      browser = await chromium.launch(CHROMIUM_LAUNCH);
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await host?.stop();
      await sandbox?.close();
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it("is behind the function key; its script and style are versioned assets, cached immutable and compressed", async () => {
      expect((await fetch(`${host.url}/api/environments/${ENV}/ops`)).status).toBe(401);
      expect((await fetch(`${host.url}/api/environments/${ENV}/ops/provisioning`)).status).toBe(401);
      const page = await api(`environments/${ENV}/ops`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      const html = await page.text();
      // The page alone is small: the 3 MB bundle is not in it.
      expect(html.length).toBeLessThan(20_000);
      const script = /<script defer src="([^"]+)"><\/script>/.exec(html)?.[1];
      const style = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
      for (const href of [script!, style!]) {
        expect(href).toMatch(/ops-page\.[0-9a-f]{16}\.(js|css)$/);
        const asset = await fetch(new URL(href, pageUrl()), { headers: { "accept-encoding": "br, gzip" } });
        expect(asset.status).toBe(200);
        expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
        expect(asset.headers.get("content-encoding")).toBe("br");
        await asset.arrayBuffer();
      }
      expect((await fetch(`${host.url}/api/ops-assets/ops-page.0000000000000000.js`)).status).toBe(404);
    });

    it("shows the whole architecture diagram and the Gantt down to its last bar and time axis", async () => {
      const context = await newContext();
      const { page } = await openPage(context);
      /**
       * After scrolling the figure to its end, the last drawn parts lie inside the figure's visible box and inside
       * the SVG's own box (an SVG clips what its height leaves out, as the Gantt's axis once was).
       */
      const reachable = (figure: string, parts: string) =>
        page.locator(figure).evaluate((node, selector: string) => {
          const f = node as unknown as DomElement;
          f.scrollTop = f.scrollHeight;
          f.scrollLeft = f.scrollWidth;
          const box = f.getBoundingClientRect();
          const svg = f.querySelector("svg")!.getBoundingClientRect();
          const rects = Array.from(f.querySelectorAll(selector)).map((e) => e.getBoundingClientRect());
          const bottom = Math.max(...rects.map((r) => r.bottom));
          const right = Math.max(...rects.map((r) => r.right));
          const within = (b: Box) => bottom <= b.bottom + 1 && right <= b.right + 1;
          return {
            count: rects.length,
            inside: within(box) && within(svg),
            bottom,
            right,
            box: [box.bottom, box.right],
            svg: [svg.bottom, svg.right],
          };
        }, parts);
      const architecture = await reachable("#architecture figure", "svg g.node, svg g.cluster");
      expect(architecture.count).toBeGreaterThan(5);
      expect(architecture.inside, JSON.stringify(architecture)).toBe(true);
      const bars = await reachable("#provisioning figure", "svg rect.task");
      expect(bars.count).toBeGreaterThan(5);
      expect(bars.inside, JSON.stringify(bars)).toBe(true);
      const axis = await reachable("#provisioning figure", "svg g.grid g.tick text");
      expect(axis.count).toBeGreaterThan(1);
      expect(axis.inside, JSON.stringify(axis)).toBe(true);
      await context.close();
    });

    it("draws the architecture and the build's Gantt, marks the failed deployment, lists the eviction, no console errors", async () => {
      const context = await newContext();
      const { page, errors } = await openPage(context);
      await page.screenshot({ path: path.join(SHOTS, "ops-page-full.png"), fullPage: true });
      await page.screenshot({ path: path.join(SHOTS, "ops-page-laptop.png") });
      for (const panel of ["architecture", "provisioning", "clusters", "events", "certificates", "backups", "runbooks"])
        await page.locator(`#${panel}`).screenshot({ path: path.join(SHOTS, `panel-${panel}.png`) });

      expect(await page.locator("#architecture figure svg").count()).toBe(1);
      expect(await page.locator("#architecture figure svg g.node").count()).toBeGreaterThan(5);

      const gantt = page.locator("#provisioning figure svg");
      expect(await gantt.count()).toBe(1);
      const failedName = failedDeployment.name;
      expect(await gantt.textContent()).toContain(`${failedName} FAILED DeploymentFailed`);
      // Mermaid draws crit tasks with the crit classes; the failed bar is one of them.
      expect(await page.locator("#provisioning figure svg rect[class*='crit']").count()).toBeGreaterThanOrEqual(1);
      const banner = page.locator("#provisioning .banner.failed");
      expect(await banner.textContent()).toContain(failedName);
      const failedRow = page.locator("#provisioning tr.failed", { hasText: failedName });
      expect(await failedRow.count()).toBe(1);
      expect(await failedRow.textContent()).toContain("QuotaExceeded");
      expect(await failedRow.locator(".badge.failed").textContent()).toContain("✖ failed");

      const eviction = page.locator(`#events tbody tr[data-instance='${evictionInstance}']`);
      expect(await eviction.count()).toBe(1);
      expect(await eviction.textContent()).toContain("aks-spotd-27182818-vmss_4");
      expect(await eviction.textContent()).toContain("app1");
      expect(await eviction.locator("a").getAttribute("href")).toContain("#ops-2-spot-eviction");

      const app1 = page.locator("#clusters article", { hasText: "app1 (workload)" });
      expect(await app1.textContent()).toContain("1 eviction(s) in 1 watch(es)");
      const broken = page.locator("#clusters article", { hasText: `${failedDeployment.cluster} (` });
      expect(await broken.locator(".badge.failed").textContent()).toContain("build failed");

      expect(await page.locator("#backups .trend svg rect").count()).toBeGreaterThanOrEqual(14);
      expect(await page.locator("#backups").textContent()).toContain("not healthy");
      expect(await page.locator("#certificates .no-data").textContent()).toContain("No data yet");
      expect(await page.locator("#runbooks a").count()).toBe(OPS_IDS.length);

      expect(errors).toEqual([]);
      await context.close();
    });

    it("links runbooks absolutely to the app's own runbooks page, which opens without a key at the section", async () => {
      const context = await newContext();
      const { page } = await openPage(context);
      const links = await page.locator("#runbooks a").all();
      const hrefs = (await Promise.all(links.map((a) => a.getAttribute("href")))).map(String);
      expect(hrefs).toHaveLength(OPS_IDS.length);
      for (const href of hrefs) expect(href).toMatch(new RegExp(`^${host.url}/api/runbooks#ops-\\d-[a-z-]+$`));
      const eviction = hrefs.find((h) => h.endsWith("#ops-2-spot-eviction"))!;
      const runbooks = await context.newPage();
      expect((await runbooks.goto(eviction))?.status()).toBe(200);
      const heading = runbooks.locator("#ops-2-spot-eviction");
      expect(await heading.textContent()).toBe("OPS-2 Spot eviction");
      expect(await heading.isVisible()).toBe(true);
      // Every runbook the app links to is a section of the page.
      for (const href of hrefs) expect(await runbooks.locator(`[id='${href.split("#")[1]}']`).count()).toBe(1);
      await context.close();
    });

    it("shows when things happened in real UTC, not on the host's fast workflow clock", async () => {
      const context = await newContext();
      const { page } = await openPage(context);
      const summary = (await page.locator("#provisioning p", { hasText: "Mode deploy, started" }).textContent()) ?? "";
      const times = [...summary.matchAll(/(\d{4}-\d\d-\d\d \d\d:\d\d) UTC/g)].map((m) =>
        Date.parse(`${m[1]!.replace(" ", "T")}:00Z`),
      );
      expect(times, summary).toHaveLength(2);
      // The build ran a minute or two of wall time at E2E_SPEED× (hours of workflow time): shown as it happened.
      for (const t of times) {
        expect(t, summary).toBeLessThanOrEqual(Date.now() + 60_000);
        expect(t, summary).toBeGreaterThanOrEqual(testStarted - 60_000);
      }
      await context.close();
    });

    it("fits a laptop screen and is usable from the keyboard", async () => {
      const context = await newContext();
      const { page, errors } = await openPage(context);
      // Nothing overflows sideways at 1366 px: wide content scrolls inside its own panel.
      // Expressions as strings: they run in the page, and this file is type-checked without the DOM library.
      const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow).toBeLessThanOrEqual(0);

      await page.keyboard.press("Tab");
      expect(await page.evaluate<string>("document.activeElement.textContent")).toBe("Skip to content");
      await page.keyboard.press("Enter");
      expect(await page.evaluate<string>("document.activeElement.id")).toBe("main");

      // Every diagram can be reached (and scrolled) with Tab.
      const reached = new Set<string>();
      for (let i = 0; i < 80 && reached.size < 2; i++) {
        await page.keyboard.press("Tab");
        const label = await page.evaluate<string>('document.activeElement.getAttribute("aria-label") ?? ""');
        if (label.includes("(scrollable)")) reached.add(label);
      }
      expect(reached.size).toBe(2);

      await page.focus("#reload");
      await page.keyboard.press("Enter");
      expect(await page.getAttribute("body", "data-loaded")).toBe("false");
      await page.waitForSelector("body[data-loaded='true']");
      expect(errors).toEqual([]);
      await context.close();
    });

    it("passes axe's WCAG 2 A/AA checks (labels, contrast, landmarks)", async () => {
      const axeSource = readFileSync(createRequire(__filename).resolve("axe-core/axe.min.js"), "utf8");
      // Only here is the page's CSP bypassed, so that axe itself can be injected.
      const context = await newContext({ bypassCSP: true });
      const { page } = await openPage(context);
      await page.addScriptTag({ content: axeSource });
      const violations = await page.evaluate<string[]>(`
        axe
          .run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
          .then((result) =>
            result.violations.map(
              (v) => v.id + ": " + v.help + " — " + v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target) + " " + (n.failureSummary ?? "")).join(" | "),
            ),
          )
      `);
      expect(violations).toEqual([]);
      await context.close();
    });
  },
);

/** The few DOM members the reachability check uses (the tests compile without the DOM library). */
interface Box {
  bottom: number;
  right: number;
}
interface DomElement {
  scrollTop: number;
  scrollLeft: number;
  readonly scrollHeight: number;
  readonly scrollWidth: number;
  getBoundingClientRect(): Box;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}
