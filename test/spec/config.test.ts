import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AppConfigError, loadAppConfig, repoRoot } from "../../lib/config";

const root = path.resolve(__dirname, "../..");

describe("repoRoot", () => {
  it("is the package root from the TypeScript sources", () => {
    expect(repoRoot()).toBe(root);
    expect(existsSync(path.join(repoRoot(), "package.json"))).toBe(true);
  });

  it("is the package root from a copy compiled into dist/", () => {
    // Compile just lib/config into a temporary dist-like tree inside the repo, then run it with plain node.
    const out = path.join(root, "dist", ".test-config-root");
    try {
      execFileSync(
        process.execPath,
        [
          path.join(root, "node_modules/typescript/bin/tsc"),
          "--outDir",
          out,
          "--rootDir",
          root,
          "--module",
          "node16",
          "--moduleResolution",
          "node16",
          "--target",
          "ES2022",
          "--skipLibCheck",
          "--types",
          "node",
          path.join(root, "lib/config/index.ts"),
        ],
        { cwd: root },
      );
      const script = `console.log(require(${JSON.stringify(path.join(out, "lib/config/index.js"))}).repoRoot())`;
      expect(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim()).toBe(root);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("loadAppConfig", () => {
  it("refuses a CA file that does not exist", () => {
    expect(() => loadAppConfig({ AKS_PLATFORM_ARM_CA_FILE: "/nonexistent/ca.pem" })).toThrow(
      "Invalid app settings: AKS_PLATFORM_ARM_CA_FILE names a file that does not exist (/nonexistent/ca.pem)",
    );
  });

  it("fills defaults relative to the repository", () => {
    expect(loadAppConfig({})).toEqual({
      armSchemasDir: path.resolve(root, "../shared/arm-schemas"),
      templatesDir: path.join(root, "templates"),
      taskHub: "aksplatform",
      armEndpoint: "https://management.azure.com",
      backupVerifySchedule: "0 0 3 * * *",
    });
  });

  it("reads every setting; blank counts as unset", () => {
    const config = loadAppConfig({
      AKS_PLATFORM_ARM_SCHEMAS_DIR: "/opt/schemas",
      AKS_PLATFORM_TEMPLATES_DIR: "build/templates",
      AKS_PLATFORM_TASK_HUB: "Hub2",
      AKS_PLATFORM_ARM_ENDPOINT: "https://127.0.0.1:8443/",
      AKS_PLATFORM_ARM_TOKEN: "local-token",
      AKS_PLATFORM_ARM_CA_FILE: "package.json",
      AKS_PLATFORM_BACKUP_VERIFY_SCHEDULE: "  ",
    });
    expect(config).toEqual({
      armSchemasDir: "/opt/schemas",
      templatesDir: path.join(root, "build/templates"),
      taskHub: "Hub2",
      armEndpoint: "https://127.0.0.1:8443",
      armToken: "local-token",
      armCaFile: path.join(root, "package.json"),
      backupVerifySchedule: "0 0 3 * * *",
    });
  });

  it("fails fast naming every bad setting", () => {
    let error: unknown;
    try {
      loadAppConfig({
        AKS_PLATFORM_TASK_HUB: "my-hub",
        AKS_PLATFORM_ARM_ENDPOINT: "management.azure.com",
        AKS_PLATFORM_BACKUP_VERIFY_SCHEDULE: "0 3 * * *",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppConfigError);
    expect((error as AppConfigError).problems).toEqual([
      { setting: "AKS_PLATFORM_TASK_HUB", message: "must be 3–45 letters and digits, starting with a letter" },
      { setting: "AKS_PLATFORM_ARM_ENDPOINT", message: "must be an https URL such as https://management.azure.com" },
      {
        setting: "AKS_PLATFORM_BACKUP_VERIFY_SCHEDULE",
        message: "must be a six-field NCRONTAB expression such as 0 0 3 * * *",
      },
    ]);
    expect((error as Error).message).toMatch(/^Invalid app settings: AKS_PLATFORM_TASK_HUB must be/);
  });
});
