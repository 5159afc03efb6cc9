import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli, type CliResult } from "../helpers/cli";
import { startSandboxArm, type SandboxArm, type SandboxIdentity } from "../../local/sandbox";
import { networkSecurityGroupName } from "../../lib/plan/units";
import { defaultSpec, validateSpec, type PlatformSpec } from "../../lib/spec";

/** A plain ARM REST call to the sandbox as one of its identities (what `az rest` does). */
export function armRequest(
  sandbox: Pick<SandboxArm, "url" | "caPem">,
  who: SandboxIdentity,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(`${sandbox.url}${path}${path.includes("?") ? "&" : "?"}api-version=2024-05-01`);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: sandbox.caPem,
        headers: {
          authorization: `Bearer ${who.token}`,
          ...(text !== undefined ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        let data = "";
        res.on("data", (c: Buffer) => (data += c.toString()));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: data ? (JSON.parse(data) as unknown) : undefined }),
        );
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

export const SSH_FROM_ANYWHERE = {
  name: "allow-ssh-anywhere",
  properties: {
    priority: 100,
    direction: "Inbound",
    access: "Allow",
    protocol: "Tcp",
    sourceAddressPrefix: "*",
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: "22",
  },
};

export function nsgId(sandbox: Pick<SandboxArm, "subscriptionId">, spec: PlatformSpec, cluster = "app1"): string {
  const c = spec.clusters.find((x) => x.name === cluster)!;
  return `/subscriptions/${sandbox.subscriptionId}/resourceGroups/${spec.commonResourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${networkSecurityGroupName(spec, c)}`;
}

/** A person opens SSH to the world on the NSG "for a minute": GET, add the rule, PUT back, nothing else. */
export async function openSshByHand(sandbox: SandboxArm, spec: PlatformSpec): Promise<string> {
  const id = nsgId(sandbox, spec);
  const got = await armRequest(sandbox, sandbox.identities.person, "GET", id);
  if (got.status !== 200) throw new Error(`GET ${id}: ${got.status} ${JSON.stringify(got.body)}`);
  const nsg = got.body as { properties: { securityRules?: unknown[] } };
  nsg.properties.securityRules = [...(nsg.properties.securityRules ?? []), SSH_FROM_ANYWHERE];
  const put = await armRequest(sandbox, sandbox.identities.person, "PUT", id, nsg);
  if (put.status !== 200) throw new Error(`PUT ${id}: ${put.status} ${JSON.stringify(put.body)}`);
  return id;
}

/** The seed spec renamed to `name` (its groups, clusters and globally unique names follow), then edited. */
export function specNamed(name: string, edit: (raw: Record<string, unknown>) => void = () => {}): PlatformSpec {
  const raw = JSON.parse(
    JSON.stringify(defaultSpec).replaceAll(defaultSpec.name, name).replaceAll("acrk8sdemo01", `acr${name}01`),
  ) as Record<string, unknown>;
  edit(raw);
  const result = validateSpec(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

/**
 * `aks-platform up --sandbox` of `spec` in a fresh folder, as a person would: the spec file, the target's state
 * (`state/`) and the report stay there for the commands under test.
 */
export async function upOnSandbox(
  spec: PlatformSpec,
  prefix: string,
): Promise<{ dir: string; stateDir: string; specFile: string; up: CliResult }> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const stateDir = path.join(dir, "state");
  const specFile = path.join(dir, "spec.json");
  writeFileSync(specFile, JSON.stringify(spec));
  const up = await runCli([
    "up",
    "--sandbox",
    "--spec",
    specFile,
    "--state-dir",
    stateDir,
    "--time-scale",
    "600",
    "--yes",
    "--report",
    path.join(dir, "report"),
  ]);
  return { dir, stateDir, specFile, up };
}

/** A person at the sandbox a CLI command left in `stateDir` (its state file), between two commands: `act`, then closed. */
export async function inSandboxOf<T>(
  stateDir: string,
  subscriptionId: string,
  act: (sandbox: SandboxArm) => Promise<T>,
): Promise<T> {
  const sandbox = await startSandboxArm({
    stateDir: path.dirname(stateDir),
    stateFile: path.join(stateDir, "sandbox.json"),
    subscriptionId,
  });
  try {
    return await act(sandbox);
  } finally {
    await sandbox.close();
  }
}
