import type { ClusterSim, SandboxContext, SimNode, SimPod, SnapshotPod, StoredResource } from "./state";
import { guidFrom, key } from "./ids";
import { labelNamespace, nodeState, upgradeObjects } from "./upgrade";

/**
 * A small simulated Kubernetes state per AKS cluster: nodes per agent pool, Karpenter (NAP) spot nodes,
 * pods and whether they are Pending. Enough for the operations the app performs through run command
 * (see `runClusterCommand` for the interpreted command set), not a Kubernetes.
 */

interface AgentPoolProfile {
  name?: unknown;
  count?: unknown;
  vmSize?: unknown;
  availabilityZones?: unknown;
  mode?: unknown;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function poolNodes(c: ClusterSim, pool: AgentPoolProfile, now: number): SimNode[] {
  const name = typeof pool.name === "string" ? pool.name : "nodepool1";
  const count = typeof pool.count === "number" ? pool.count : 1;
  const zones = stringArray(pool.availabilityZones);
  const suffix = guidFrom(`${c.id}/${name}`).slice(0, 8);
  return Array.from({ length: count }, (_, i) => ({
    name: `aks-${name}-${suffix}-vmss${i.toString(36).padStart(6, "0")}`,
    pool: name,
    zone: zones.length ? zones[i % zones.length]! : c.zones[i % c.zones.length]!,
    capacityType: "on-demand" as const,
    vmSize: typeof pool.vmSize === "string" ? pool.vmSize : "Standard_D2s_v5",
    createdAt: now,
  }));
}

/** Called when a managedClusters resource is created (or re-created) by a deployment. */
export function createClusterSim(ctx: SandboxContext, r: StoredResource, nodeResourceGroup: string): void {
  const k = key(r.id);
  if (ctx.data.clusters[k]) return;
  const props = obj(r.request.properties);
  const now = ctx.clock.now();
  const c: ClusterSim = {
    id: r.id,
    name: r.name,
    location: typeof r.request.location === "string" ? r.request.location : "unknown",
    nodeResourceGroup,
    zones: ctx.settings.zones,
    nodes: [],
    pods: [],
    spotCapacity: Object.fromEntries(ctx.settings.zones.map((z) => [z, true])),
    nextNodeIndex: 0,
    certificateRenewals: [],
    rolloutRestarts: [],
  };
  for (const pool of Array.isArray(props.agentPoolProfiles) ? (props.agentPoolProfiles as AgentPoolProfile[]) : []) {
    c.nodes.push(...poolNodes(c, pool, now));
  }
  const system = c.nodes[0];
  if (system) {
    c.pods.push({ namespace: "kube-system", name: "coredns-0", phase: "Running", nodeName: system.name });
  }
  if (obj(props.nodeProvisioningProfile).mode === "Auto") {
    const pool = ctx.settings.karpenterNodePool;
    for (let i = 0; i < ctx.settings.initialSpotNodes; i++) {
      for (let p = 0; p < ctx.settings.podsPerSpotNode; p++) {
        c.pods.push({ namespace: "apps", name: `workload-${i}-${p}`, phase: "Pending", nodePool: pool });
      }
    }
    provisionPending(ctx, c, now);
  }
  ctx.data.clusters[k] = c;
}

/** A `managedClusters/agentPools` child adds its nodes to the cluster. */
export function addAgentPool(ctx: SandboxContext, clusterId: string, pool: StoredResource): void {
  const c = ctx.data.clusters[key(clusterId)];
  if (!c) return;
  const name = pool.name.split("/").pop()!;
  c.nodes = c.nodes.filter((n) => n.pool !== name);
  c.nodes.push(...poolNodes(c, { ...obj(pool.request.properties), name }, ctx.clock.now()));
}

export function removeClusterSim(ctx: SandboxContext, clusterId: string): void {
  delete ctx.data.clusters[key(clusterId)];
}

/** Karpenter: bring up spot nodes in zones that have capacity (rotating), then schedule pending pods. */
function provisionPending(ctx: SandboxContext, c: ClusterSim, now: number): void {
  c.provisionAt = undefined;
  const pending = c.pods.filter((p) => p.phase === "Pending" && p.nodePool !== undefined);
  if (!pending.length) return;
  const zones = c.zones.filter((z) => c.spotCapacity[z]);
  if (!zones.length) return; // AKS-6: no on-demand fallback, pods stay Pending.
  const perNode = ctx.settings.podsPerSpotNode;
  const byPool = new Map<string, SimPod[]>();
  for (const p of pending) byPool.set(p.nodePool!, [...(byPool.get(p.nodePool!) ?? []), p]);
  for (const [pool, pods] of byPool) {
    for (let i = 0; i < pods.length; i += perNode) {
      const zone = zones[c.nextNodeIndex % zones.length]!;
      const node: SimNode = {
        name: `aks-${pool}-${guidFrom(`${c.id}/${c.nextNodeIndex}`).slice(0, 5)}`,
        pool: pool,
        nodePool: pool,
        zone,
        capacityType: "spot",
        vmSize: "Standard_D4s_v5",
        createdAt: now,
      };
      c.nextNodeIndex += 1;
      c.nodes.push(node);
      for (const p of pods.slice(i, i + perNode)) {
        p.phase = "Running";
        p.nodeName = node.name;
      }
    }
  }
}

function scheduleProvisioning(ctx: SandboxContext, c: ClusterSim): void {
  const hasPending = c.pods.some((p) => p.phase === "Pending" && p.nodePool !== undefined);
  if (hasPending && c.provisionAt === undefined && c.zones.some((z) => c.spotCapacity[z])) {
    c.provisionAt = ctx.clock.now() + ctx.settings.nodeProvisionSeconds * 1000;
  }
}

export function clusterNextEvent(c: ClusterSim): number | undefined {
  return c.provisionAt;
}

export function processClusterEvent(ctx: SandboxContext, c: ClusterSim, at: number): void {
  provisionPending(ctx, c, at);
}

/** Spot eviction: the nodes go away, their pods become Pending, Karpenter starts replacing them. */
export function evictNodes(
  ctx: SandboxContext,
  c: ClusterSim,
  select: { nodes?: string[]; zone?: string; count?: number },
): SimNode[] {
  let candidates = c.nodes.filter((n) => n.capacityType === "spot");
  if (select.nodes) candidates = candidates.filter((n) => select.nodes!.includes(n.name));
  if (select.zone !== undefined) candidates = candidates.filter((n) => n.zone === select.zone);
  if (select.count !== undefined) candidates = candidates.slice(0, select.count);
  const gone = new Set(candidates.map((n) => n.name));
  c.nodes = c.nodes.filter((n) => !gone.has(n.name));
  for (const p of c.pods) {
    if (p.nodeName !== undefined && gone.has(p.nodeName)) {
      p.phase = "Pending";
      delete p.nodeName;
    }
  }
  scheduleProvisioning(ctx, c);
  return candidates;
}

export function setSpotCapacity(ctx: SandboxContext, c: ClusterSim, capacity: Record<string, boolean>): void {
  for (const [zone, available] of Object.entries(capacity)) {
    if (!c.zones.includes(zone))
      throw new Error(`cluster ${c.name} has no zone '${zone}' (zones: ${c.zones.join(", ")})`);
    c.spotCapacity[zone] = available;
  }
  scheduleProvisioning(ctx, c);
}

/**
 * A restore re-creates the backed-up pods the cluster lacks: spot workloads wait for Karpenter like evicted
 * ones, the others land on an agent pool node (Pending when the cluster has none). Returns how many came back.
 */
export function restorePods(ctx: SandboxContext, c: ClusterSim, pods: readonly SnapshotPod[]): number {
  const present = new Set(c.pods.map((p) => `${p.namespace}/${p.name}`));
  const poolNode = c.nodes.find((n) => n.capacityType === "on-demand");
  let restored = 0;
  for (const p of pods) {
    if (present.has(`${p.namespace}/${p.name}`)) continue;
    present.add(`${p.namespace}/${p.name}`);
    restored += 1;
    if (p.nodePool !== undefined)
      c.pods.push({ namespace: p.namespace, name: p.name, phase: "Pending", nodePool: p.nodePool });
    else if (poolNode) c.pods.push({ namespace: p.namespace, name: p.name, phase: "Running", nodeName: poolNode.name });
    else c.pods.push({ namespace: p.namespace, name: p.name, phase: "Pending" });
  }
  scheduleProvisioning(ctx, c);
  return restored;
}

// ---- run command ----------------------------------------------------------------------------------

export interface CommandOutcome {
  exitCode: number;
  logs: string;
}

/** Shell-like split: whitespace separates, single/double quotes group. */
function tokenize(command: string): string[] {
  const tokens: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(command); m; m = re.exec(command)) tokens.push(m[1] ?? m[2] ?? m[3]!);
  return tokens;
}

interface Flags {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

const VALUE_FLAGS = new Set([
  "-l",
  "--selector",
  "-o",
  "--output",
  "-n",
  "--namespace",
  "--field-selector",
  "-p",
  "--patch",
  "--type",
  "--subresource",
]);

function parseFlags(args: string[]): Flags {
  const flags: Flags = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) flags.values.set(a.slice(0, eq), a.slice(eq + 1));
    else if (VALUE_FLAGS.has(a)) flags.values.set(a, args[++i] ?? "");
    else if (a.startsWith("-")) flags.switches.add(a);
    else flags.positional.push(a);
  }
  return flags;
}

function flag(f: Flags, ...names: string[]): string | undefined {
  for (const n of names) if (f.values.has(n)) return f.values.get(n);
  return undefined;
}

function nodeLabels(c: ClusterSim, n: SimNode): Record<string, string> {
  const labels: Record<string, string> = {
    "kubernetes.io/hostname": n.name,
    "node.kubernetes.io/instance-type": n.vmSize,
    "topology.kubernetes.io/zone": `${c.location}-${n.zone}`,
    "karpenter.sh/capacity-type": n.capacityType,
  };
  if (n.nodePool !== undefined) labels["karpenter.sh/nodepool"] = n.nodePool;
  else labels["kubernetes.azure.com/agentpool"] = n.pool;
  return labels;
}

function matchesSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const neq = term.split("!=");
    if (neq.length === 2) return labels[neq[0]!.trim()] !== neq[1]!.trim();
    const eq = term.split("=");
    if (eq.length === 2) return labels[eq[0]!.trim()] === eq[1]!.trim();
    return labels[term.trim()] !== undefined;
  });
}

function nodeJson(ctx: SandboxContext, c: ClusterSim, n: SimNode): unknown {
  const rg = `/subscriptions/${ctx.settings.subscriptionId}/resourceGroups/${c.nodeResourceGroup}/providers/Microsoft.Compute`;
  const providerID =
    n.capacityType === "spot"
      ? `azure://${rg}/virtualMachines/${n.name}`
      : `azure://${rg}/virtualMachineScaleSets/${n.name.replace(/vmss[0-9a-z]{6}$/, "vmss")}/virtualMachines/${parseInt(n.name.slice(-6), 36)}`;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: nodeLabels(c, n), creationTimestamp: new Date(n.createdAt).toISOString() },
    spec: { providerID },
    status: nodeStatus(ctx, c, n),
  };
}

function nodeStatus(ctx: SandboxContext, c: ClusterSim, n: SimNode): unknown {
  const s = nodeState(ctx, c, n);
  return {
    conditions: [
      s.ready
        ? { type: "Ready", status: "True", reason: "KubeletReady" }
        : {
            type: "Ready",
            status: "Unknown",
            reason: "NodeStatusUnknown",
            message: "Kubelet stopped posting node status.",
          },
    ],
    nodeInfo: { kubeletVersion: s.kubeletVersion, ...(s.image !== undefined ? { osImage: s.image } : {}) },
  };
}

function podJson(p: SimPod): unknown {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: p.name, namespace: p.namespace },
    spec: p.nodeName !== undefined ? { nodeName: p.nodeName } : {},
    status:
      p.phase === "Pending"
        ? { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] }
        : { phase: "Running" },
  };
}

function list(items: unknown[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2);
}

function getNodes(ctx: SandboxContext, c: ClusterSim, f: Flags): CommandOutcome {
  const nodes = c.nodes.filter((n) => matchesSelector(nodeLabels(c, n), flag(f, "-l", "--selector")));
  if (flag(f, "-o", "--output") === "json") return { exitCode: 0, logs: list(nodes.map((n) => nodeJson(ctx, c, n))) };
  if (!nodes.length) return { exitCode: 0, logs: "No resources found\n" };
  return {
    exitCode: 0,
    logs: ["NAME STATUS ZONE", ...nodes.map((n) => `${n.name} Ready ${c.location}-${n.zone}`)].join("\n") + "\n",
  };
}

function getPods(c: ClusterSim, f: Flags): CommandOutcome {
  const all = f.switches.has("-A") || f.switches.has("--all-namespaces");
  const ns = flag(f, "-n", "--namespace") ?? "default";
  const fieldSelector = flag(f, "--field-selector");
  const phase = /^status\.phase=(\w+)$/.exec(fieldSelector ?? "")?.[1];
  if (fieldSelector !== undefined && phase === undefined) {
    return {
      exitCode: 1,
      logs: `error: the sandbox supports only --field-selector=status.phase=<phase>, got '${fieldSelector}'\n`,
    };
  }
  const pods = c.pods.filter((p) => (all || p.namespace === ns) && (phase === undefined || p.phase === phase));
  if (flag(f, "-o", "--output") === "json") return { exitCode: 0, logs: list(pods.map(podJson)) };
  if (!pods.length) return { exitCode: 0, logs: "No resources found\n" };
  return {
    exitCode: 0,
    logs: ["NAMESPACE NAME STATUS", ...pods.map((p) => `${p.namespace} ${p.name} ${p.phase}`)].join("\n") + "\n",
  };
}

/**
 * Karpenter's launch failures: one InsufficientCapacityError event per zone without Spot capacity while Spot pods
 * wait (Karpenter names the zone it tried in the message), dated now.
 */
function getEvents(ctx: SandboxContext, c: ClusterSim, f: Flags): CommandOutcome {
  const fieldSelector = flag(f, "--field-selector");
  const reason = /^reason=(\w+)$/.exec(fieldSelector ?? "")?.[1];
  if (fieldSelector !== undefined && reason === undefined) {
    return {
      exitCode: 1,
      logs: `error: the sandbox supports only --field-selector reason=<reason>, got '${fieldSelector}'\n`,
    };
  }
  const waiting = c.pods.filter((p) => p.phase === "Pending" && p.nodePool !== undefined);
  const now = new Date(ctx.clock.now()).toISOString();
  const events =
    waiting.length === 0
      ? []
      : c.zones
          .filter((z) => !c.spotCapacity[z])
          .map((zone) => ({
            apiVersion: "v1",
            kind: "Event",
            metadata: { name: `spot-${zone}.${guidFrom(`${c.id}/${zone}/${now}`).slice(0, 8)}`, namespace: "default" },
            reason: "InsufficientCapacityError",
            type: "Warning",
            message: `NodeClaim ${waiting[0]!.nodePool}-${zone} could not be launched: insufficient capacity, all requested instance types were unavailable (zone ${c.location}-${zone}, capacity-type spot)`,
            lastTimestamp: now,
          }));
  const matching = events.filter((e) => reason === undefined || e.reason === reason);
  if (flag(f, "-o", "--output") === "json") return { exitCode: 0, logs: list(matching) };
  if (!matching.length) return { exitCode: 0, logs: "No resources found\n" };
  return { exitCode: 0, logs: matching.map((e) => `${e.lastTimestamp} ${e.reason} ${e.message}`).join("\n") + "\n" };
}

/**
 * `kubectl patch certificate NAME -n NS --subresource=status --type=merge -p '{"status":{"conditions":[…]}}'`:
 * the status update `cmctl renew` makes (cert-manager/cmctl pkg/renew/renew.go: condition Issuing, status True,
 * reason ManuallyTriggered, then UpdateStatus). Certificate has a status subresource, so the same patch without
 * `--subresource=status` changes nothing, as the API server would answer.
 */
function patchCertificate(c: ClusterSim, f: Flags, ns: string, now: number): CommandOutcome {
  const name = f.positional[1];
  if (!name) return { exitCode: 1, logs: "error: resource name may not be empty\n" };
  const type = flag(f, "--type") ?? "strategic";
  if (type !== "merge")
    return { exitCode: 1, logs: `error: the sandbox interprets only --type=merge for certificates, got '${type}'\n` };
  let patch: unknown;
  try {
    patch = JSON.parse(flag(f, "-p", "--patch") ?? "");
  } catch (e) {
    return { exitCode: 1, logs: `error: unable to parse the patch as JSON: ${(e as Error).message}\n` };
  }
  if (flag(f, "--subresource") !== "status")
    return { exitCode: 0, logs: `certificate.cert-manager.io/${name} patched (no change)\n` };
  const conditions = obj(obj(patch).status).conditions;
  const issuing = (Array.isArray(conditions) ? conditions : []).map(obj).find((x) => x.type === "Issuing");
  if (issuing?.status === "True") {
    c.certificateRenewals.push({
      namespace: ns,
      name,
      at: now,
      reason: typeof issuing.reason === "string" ? issuing.reason : "",
    });
  }
  return { exitCode: 0, logs: `certificate.cert-manager.io/${name} patched\n` };
}

/** `kubectl get kind1,kind2,… -A -o json`: one List of every kind (what the upgrade gates read). */
function getMany(ctx: SandboxContext, c: ClusterSim, f: Flags): CommandOutcome {
  if (flag(f, "-o", "--output") !== "json")
    return { exitCode: 1, logs: "error: the sandbox lists several kinds only with -o json\n" };
  const items: unknown[] = [];
  for (const kind of f.positional[0]!.split(",")) {
    if (/^(nodes?|no)$/.test(kind)) items.push(...c.nodes.map((n) => nodeJson(ctx, c, n)));
    else if (/^(pods?|po)$/.test(kind)) items.push(...c.pods.map(podJson));
    else {
      const objects = upgradeObjects(ctx, c, kind);
      if (!objects) return { exitCode: 1, logs: `error: the server doesn't have a resource type "${kind}"\n` };
      items.push(...objects);
    }
  }
  return { exitCode: 0, logs: list(items) };
}

function runOne(ctx: SandboxContext, c: ClusterSim, tokens: string[]): CommandOutcome {
  const [tool, verb, ...rest] = tokens;
  const f = parseFlags(rest);
  const ns = flag(f, "-n", "--namespace") ?? "default";
  const now = ctx.clock.now();
  const kind = f.positional[0] ?? "";
  if (tool === "kubectl" && verb === "get" && kind && !/^(nodes?|no|pods?|po|events?|ev)$/.test(kind))
    return getMany(ctx, c, f);
  if (tool === "kubectl" && verb === "label" && /^(namespaces?|ns)$/.test(f.positional[0] ?? "") && f.positional[1])
    return labelNamespace(ctx, c, f.positional[1], f.positional.slice(2));
  if (
    tool === "kubectl" &&
    verb === "rollout" &&
    f.positional[0] === "restart" &&
    /^deployments?$/.test(f.positional[1] ?? "") &&
    f.positional[2] === undefined
  ) {
    // Every deployment of the namespace (the Istio canary moves workloads this way).
    c.rolloutRestarts.push({ namespace: ns, kind: "deployment", name: "*", at: now });
    return { exitCode: 0, logs: `deployments in ${ns} restarted\n` };
  }
  if (tool === "kubectl" && verb === "get" && /^(nodes?|no)$/.test(f.positional[0] ?? "")) return getNodes(ctx, c, f);
  if (tool === "kubectl" && verb === "get" && /^(pods?|po)$/.test(f.positional[0] ?? "")) return getPods(c, f);
  if (tool === "kubectl" && verb === "get" && /^(events?|ev)$/.test(f.positional[0] ?? "")) return getEvents(ctx, c, f);
  if (
    tool === "kubectl" &&
    verb === "patch" &&
    /^(certificates?|certificate\.cert-manager\.io)$/.test(f.positional[0] ?? "")
  )
    return patchCertificate(c, f, ns, now);
  if (tool === "kubectl" && verb === "delete" && /^(namespaces?|ns)$/.test(f.positional[0] ?? "")) {
    const name = f.positional[1];
    if (!name) return { exitCode: 1, logs: "error: namespace name required\n" };
    if (name === "kube-system")
      return {
        exitCode: 1,
        logs: 'Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted\n',
      };
    const before = c.pods.length;
    c.pods = c.pods.filter((p) => p.namespace !== name);
    if (c.pods.length === before)
      return { exitCode: 1, logs: `Error from server (NotFound): namespaces "${name}" not found\n` };
    return { exitCode: 0, logs: `namespace "${name}" deleted\n` };
  }
  if (tool === "kubectl" && verb === "rollout" && f.positional[0] === "restart") {
    const target = f.positional[2] !== undefined ? `${f.positional[1]}/${f.positional[2]}` : (f.positional[1] ?? "");
    const [kind, name] = target.split("/");
    if (!kind || !name) return { exitCode: 1, logs: "error: rollout restart needs <kind>/<name>\n" };
    const k = kind.replace(/s$/, "");
    c.rolloutRestarts.push({ namespace: ns, kind: k, name, at: now });
    return { exitCode: 0, logs: `${k}.apps/${name} restarted\n` };
  }
  return { exitCode: 1, logs: `error: the sandbox does not interpret '${tokens.join(" ")}'\n` };
}

/**
 * The tools of the run-command image: "Run a shell command (with kubectl, helm) on your aks cluster"
 * (az aks command invoke reference; azure-notes.md). Anything else is what a shell says of a missing program.
 */
export const RUN_COMMAND_TOOLS: readonly string[] = ["kubectl", "helm"];

/** bash's answer for a program not on PATH: exit code 127 and this line on stderr (which run command returns in logs). */
function commandNotFound(tool: string): CommandOutcome {
  return { exitCode: 127, logs: `/bin/bash: line 1: ${tool}: command not found\n` };
}

/** Interprets a run-command script: `cmd && cmd …` of the documented kubectl/helm subset. */
export function runClusterCommand(ctx: SandboxContext, c: ClusterSim, command: string): CommandOutcome {
  let logs = "";
  for (const part of command.split("&&")) {
    const tokens = tokenize(part.trim());
    const tool = tokens[0] ?? "";
    const outcome = RUN_COMMAND_TOOLS.includes(tool) ? runOne(ctx, c, tokens) : commandNotFound(tool);
    logs += outcome.logs;
    if (outcome.exitCode !== 0) return { exitCode: outcome.exitCode, logs };
  }
  return { exitCode: 0, logs };
}
