import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RUNBOOKS } from "../lib/notify";

const readme = readFileSync(path.resolve(__dirname, "../README.md"), "utf8");
const headings = readme.split("\n").filter((line) => /^#{2,4} /.test(line)).map((line) => line.replace(/^#+ /, ""));

describe("README", () => {
  it("gives the two commands on its first screen", () => {
    const firstScreen = readme.split("\n").slice(0, 20).join("\n");
    expect(firstScreen).toContain("npm ci && npm start");
    expect(firstScreen).toContain("npm test");
  });

  it("has the runbook every alert links to", () => {
    for (const { heading } of Object.values(RUNBOOKS)) expect(headings).toContain(heading);
  });

  it("has no section left unwritten", () => {
    expect(readme).not.toMatch(/PLACEHOLDER/);
  });
});
