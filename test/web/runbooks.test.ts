import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { headingAnchor, renderRunbooksPage, runbooksUrlFor } from "../../lib/api/runbooks";
import { RUNBOOKS } from "../../lib/notify/message";

const readme = readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8");

describe("the runbooks the app serves", () => {
  it("renders every runbook of the README with GitHub's anchor, escaped", () => {
    const page = renderRunbooksPage(readme);
    for (const runbook of Object.values(RUNBOOKS)) {
      expect(headingAnchor(runbook.heading)).toBe(runbook.anchor);
      expect(page).toContain(`<h3 id="${runbook.anchor}">${runbook.heading}</h3>`);
    }
    expect(page).not.toMatch(/<script/i);
    expect(renderRunbooksPage("## Operate\n\n### OPS-1 Provisioning\n<img src=x onerror=alert(1)>")).toContain(
      "&#60;img src=x onerror=alert(1)&#62;",
    );
  });

  it("is addressed absolutely from the request that asks for the ops data, whatever the route prefix", () => {
    expect(runbooksUrlFor("https://app.azurewebsites.net/api/environments/k8s-demo/ops/runbooks?code=k")).toBe(
      "https://app.azurewebsites.net/api/runbooks",
    );
    expect(runbooksUrlFor("http://127.0.0.1:7071/x/environments/e/ops/events")).toBe(
      "http://127.0.0.1:7071/x/runbooks",
    );
    expect(runbooksUrlFor("not a url")).toBeUndefined();
  });
});
