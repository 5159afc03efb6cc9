import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_LAUNCH } from "../helpers/chromium";

/** Debian's chromium driven by playwright-core: the report page as a person would see it. */

export { chromiumMissingReason as browserMissingReason } from "../helpers/chromium";

export interface SeenPage {
  rows: number;
  failedRowText: string;
  summary: string;
  trendBars: number;
  screenshot: string;
}

export async function openInBrowser(html: string, screenshotName: string): Promise<SeenPage> {
  const profile = mkdtempSync(path.join(tmpdir(), "chromium-profile-"));
  // A fresh profile directory per run (playwright passes it to chromium as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    ...CHROMIUM_LAUNCH,
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await browser.newPage();
    // The page is self-contained: any request it makes would be a bug (and the test must not reach the internet).
    const requests: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith("data:") && r.url() !== "about:blank") requests.push(r.url());
    });
    await page.setContent(html, { waitUntil: "load" });
    const rows = await page.locator("#instances tbody tr").count();
    const failedRowText = (await page.locator("#instances tbody tr:not(.verdict-healthy)").allInnerTexts()).join("\n");
    const summary = await page.locator("#summary").innerText();
    const trendBars = await page.locator("#trend svg g").count();
    // Problems must be visible, not just present in the DOM.
    const visible = await page.locator("#instances tbody tr:not(.verdict-healthy) li").first().isVisible();
    if (!visible) throw new Error("the problems of an unhealthy row are not visible");
    if (requests.length > 0) throw new Error(`the report page made requests: ${requests.join(", ")}`);
    const dir = path.resolve(__dirname, "../../test-results");
    mkdirSync(dir, { recursive: true });
    const screenshot = path.join(dir, screenshotName);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { rows, failedRowText, summary, trendBars, screenshot };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
