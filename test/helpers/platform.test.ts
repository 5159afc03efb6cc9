import { existsSync, globSync, readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Activities, Functions, Orchestrations } from "../../lib/function-names";
import { appFolders, getRegistry, loadApp } from "../../local/registry";
import { buildPlatform, type Platform } from "./platform";
import { startSink } from "./sink";

/**
 * The shared way tests load the app and build a platform. Tests that listed the app's activities by hand broke when
 * one was added (recordEnvironmentState): they now load the app as the host does, and these tests keep it so.
 */

const root = path.resolve(__dirname, "../..");

/** `port` on loopback accepts no connection (its server was stopped). */
const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });

describe("loading the app", () => {
  it("loads the folders package.json `main` names for the host, and nothing else", () => {
    const main = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { main: string }).main;
    // `dist/{…}/*.js` in the package: the same folders of the sources.
    const folders = globSync(main.replace(/^dist\//, "").replace(/\/\*\.js$/, ""), { cwd: root });
    const loaded = appFolders(root).filter((folder) => existsSync(path.join(root, folder)));
    expect(loaded.length).toBeGreaterThan(1);
    expect(loaded.every((folder) => statSync(path.join(root, folder)).isDirectory())).toBe(true);
    expect([...loaded].sort()).toEqual([...folders].sort());
  });

  it("registers every orchestration and activity lib/function-names.ts names, with its kind, and exactly the named triggers", async () => {
    const registry = await loadApp();
    const named = (names: Record<string, string>, trigger: string) =>
      Object.values(names)
        .map((name) => `${name} ${trigger}`)
        .sort();
    const registered = (trigger: string) =>
      registry
        .byTrigger(trigger)
        .map((fn) => `${fn.name} ${trigger}`)
        .sort();
    expect(registered("orchestrationTrigger")).toEqual(named(Orchestrations, "orchestrationTrigger"));
    expect(registered("activityTrigger")).toEqual(named(Activities, "activityTrigger"));
    const functionNames = new Set<string>(Object.values(Functions));
    const triggers = registry.all().filter((fn) => !/^(orchestration|activity)Trigger$/.test(fn.triggerType));
    expect(triggers.length).toBeGreaterThan(0);
    expect(triggers.map((fn) => fn.name).filter((name) => !functionNames.has(name))).toEqual([]);
    expect([...functionNames].filter((name) => !triggers.some((fn) => fn.name === name))).toEqual([]);
    // The activity whose absence broke the hand-written lists.
    expect(getRegistry().get(Activities.recordEnvironmentState, "activityTrigger").name).toBe("recordEnvironmentState");
  });

  it("no test lists the app's functions by importing their modules for their registrations", () => {
    const tests = globSync("test/**/*.ts", { cwd: root });
    // A bare `import "…/functions/x"` or `import "…/orchestrations/…"` is there only to register what it holds.
    const bare = /^import\s+["'](?:\.\.\/)+(?:functions|orchestrations)\/[^"']+["'];?\s*$/gm;
    const listing = tests.flatMap((file) =>
      [...readFileSync(path.join(root, file), "utf8").matchAll(bare)].map((m) => `${file}: ${m[0].trim()}`),
    );
    expect(listing).toEqual([]);
  });
});

describe("buildPlatform", () => {
  it("stops every server it started, puts the settings back and removes its state when the build fails", async () => {
    const sink = await startSink();
    const before = process.env.AKS_PLATFORM_ARM_ENDPOINT;
    process.env.AKS_PLATFORM_SLACK_WEBHOOK_URL = "https://hooks.slack.example/kept";
    let started: Platform | undefined;
    const storagePort = () => Number(/BlobEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(started!.storage)?.[1]);
    try {
      await expect(
        buildPlatform({
          notify: sink,
          beforeBuild(platform) {
            started = platform;
            expect(process.env.AKS_PLATFORM_ARM_ENDPOINT).toBe(platform.sandbox.url);
            expect(process.env.AKS_PLATFORM_SLACK_WEBHOOK_URL).toBe(`${sink.url}/slack`);
            // Every deployment ARM is asked for is refused: the build fails at its first.
            platform.sandbox.faults.add({
              match: { method: "PUT", path: "/deployments/" },
              effect: { kind: "error", status: 400, code: "InvalidTemplateDeployment", message: "refused by the test" },
            });
          },
        }),
      ).rejects.toThrow(/^the platform build of k8s-demo ended Failed: .*InvalidTemplateDeployment/s);
      expect(started).toBeDefined();
      expect(storagePort()).toBeGreaterThan(0);
      expect(await Promise.all([started!.sandbox.port, storagePort(), sink.port].map((port) => refuses(port)))).toEqual(
        [true, true, true],
      );
      expect(existsSync(started!.stateDir)).toBe(false);
      expect(process.env.AKS_PLATFORM_ARM_ENDPOINT).toBe(before);
      expect(process.env.AKS_PLATFORM_SLACK_WEBHOOK_URL).toBe("https://hooks.slack.example/kept");
    } finally {
      delete process.env.AKS_PLATFORM_SLACK_WEBHOOK_URL;
      // Already stopped by buildPlatform unless the build unexpectedly completed.
      await started?.stop();
    }
  }, 120_000);
});
