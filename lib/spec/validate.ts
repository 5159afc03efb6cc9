import { GITOPS_TREE_PATH } from "../gitops/contract";
import { z } from "zod";
import {
  accessSchema,
  clusterSchema,
  gitopsSchema,
  notificationsSchema,
  platformSpecSchema,
  sharedServicesSchema,
  upgradesSchema,
} from "./schema";
import type { ClusterSpec, NotificationsSpec, PlatformSpec, UpgradesSpec } from "./schema";

/**
 * Spec validation: zod type rules plus the rules that relate fields to each other (address space, references
 * between sections, Azure naming rules). Every problem is collected before returning, so a user fixes a spec
 * in one round. Sections that pass their type rules still get their semantic checks when another section
 * has type errors.
 */

export interface SpecProblem {
  /** JSON path of the offending value, e.g. `clusters[1].network.vnetCidr`; `(spec)` for the document itself. */
  path: string;
  /** A sentence a person understands. */
  message: string;
}

export type SpecValidationResult = { ok: true; spec: PlatformSpec } | { ok: false; problems: SpecProblem[] };

type PathSegment = string | number;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out === "" ? "(spec)" : out;
}

export function validateSpec(input: unknown): SpecValidationResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return {
      ok: false,
      problems: [
        {
          path: "(spec)",
          message: `The spec must be an object (a JSON or YAML mapping), not ${describeValue(input)}.`,
        },
      ],
    };
  }
  const parsed = platformSpecSchema.safeParse(input);
  const problems: SpecProblem[] = parsed.success
    ? []
    : parsed.error.issues.flatMap((issue) => issueToProblems(issue, input));
  checkSemantics(
    parsed.success ? viewOf(parsed.data) : partialView(input as Record<string, unknown>),
    (path, message) => problems.push({ path: formatPath(path), message }),
  );
  return problems.length === 0 && parsed.success ? { ok: true, spec: parsed.data } : { ok: false, problems };
}

// ---------------------------------------------------------------------------------------------------------
// zod issues → problems

type Issue = z.core.$ZodIssue;

function issueToProblems(issue: Issue, root: unknown): SpecProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: "Is not a field of the spec here (check the spelling and the nesting).",
    }));
  }
  return [{ path: formatPath(issue.path), message: issueMessage(issue, valueAt(root, issue.path)) }];
}

function issueMessage(issue: Issue, value: unknown): string {
  const got = value === undefined ? "" : ` (got ${describeValue(value)})`;
  switch (issue.code) {
    case "invalid_type":
      return value === undefined
        ? `Is required: expected ${article(issue.expected)}.`
        : `Must be ${article(issue.expected)}${got}.`;
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const word = issue.code === "too_small" ? "at least" : "at most";
      if (issue.origin === "string")
        return bound === 1 && issue.code === "too_small"
          ? "Must not be empty."
          : `Must be ${word} ${bound} characters long${got}.`;
      if (issue.origin === "array") return `Must have ${word} ${bound} item${bound === 1 ? "" : "s"}.`;
      const strict = issue.inclusive === false ? (issue.code === "too_small" ? "greater than" : "less than") : word;
      return `Must be ${strict} ${bound}${got}.`;
    }
    case "invalid_format":
      if (issue.format === "regex") return `Must be ${issue.message}${got}.`;
      if (issue.format === "email") return `Must be an e-mail address${got}.`;
      if (issue.format === "url") return `Must be a URL${got}.`;
      return `Must be a valid ${issue.format}${got}.`;
    case "invalid_value":
      return `Must be ${issue.values.length === 1 ? "" : "one of "}${issue.values.map((v) => JSON.stringify(v)).join(", ")}${got}.`;
    case "invalid_union": {
      const alternatives = issue.errors.flat();
      if (alternatives.length > 0 && alternatives.every((i) => i.code === "invalid_value")) {
        const values = alternatives.flatMap((i) => (i.code === "invalid_value" ? i.values : []));
        return `Must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}${got}.`;
      }
      return `${issue.message}${got}.`;
    }
    default:
      return `${issue.message}${got}.`;
  }
}

function article(expected: string): string {
  const names: Record<string, string> = {
    int: "an integer",
    array: "a list",
    object: "an object (a mapping)",
    number: "a number",
  };
  return names[expected] ?? `a ${expected}`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value === "object" ? "an object" : typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const seg of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[seg];
  }
  return current;
}

// ---------------------------------------------------------------------------------------------------------
// The view semantic rules run on: every section that passed its type rules.

type Access = PlatformSpec["access"];
type Shared = PlatformSpec["shared"];
type Gitops = PlatformSpec["gitops"];

interface SpecView {
  name?: string;
  commonResourceGroup?: string;
  tags?: Record<string, string>;
  /** Each cluster's fields that passed their type rules. */
  clusters: { index: number; cluster: Partial<ClusterSpec> }[];
  /** False when some cluster has no valid name: references to cluster names cannot be judged then. */
  clusterNamesKnown: boolean;
  access: Partial<Access>;
  shared: Partial<Shared>;
  gitops: Partial<Gitops>;
  notifications: Partial<NotificationsSpec>;
  upgrades: Partial<UpgradesSpec>;
}

function viewOf(spec: PlatformSpec): SpecView {
  return {
    ...spec,
    upgrades: spec.upgrades ?? {},
    clusters: spec.clusters.map((cluster, index) => ({ index, cluster })),
    clusterNamesKnown: true,
  };
}

/** The fields of an object that pass their own type rules (the rest are already reported). */
function salvage<T>(schema: { shape: z.core.$ZodShape }, value: unknown): Partial<T> {
  if (typeof value !== "object" || value === null) return {};
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const r = z.safeParse(field, (value as Record<string, unknown>)[key]);
    if (r.success && r.data !== undefined) out[key] = r.data;
  }
  return out as Partial<T>;
}

function partialView(input: Record<string, unknown>): SpecView {
  const top = salvage<PlatformSpec>(platformSpecSchema, input);
  const clusters = (Array.isArray(input.clusters) ? (input.clusters as unknown[]) : []).map((value, index) => ({
    index,
    cluster: salvage<ClusterSpec>(clusterSchema, value),
  }));
  return {
    name: top.name,
    commonResourceGroup: top.commonResourceGroup,
    tags: top.tags,
    clusters,
    clusterNamesKnown: Array.isArray(input.clusters) && clusters.every((c) => c.cluster.name !== undefined),
    access: salvage<Access>(accessSchema, input.access),
    shared: salvage<Shared>(sharedServicesSchema, input.shared),
    gitops: salvage<Gitops>(gitopsSchema, input.gitops),
    notifications: salvage<NotificationsSpec>(notificationsSchema, input.notifications),
    upgrades: salvage<UpgradesSpec>(upgradesSchema, input.upgrades),
  };
}

type Report = (path: PathSegment[], message: string) => void;

function checkSemantics(view: SpecView, report: Report): void {
  checkTags(view, report);
  checkNames(view, report);
  checkUniqueness(view, report);
  checkNetworks(view, report);
  checkClusterOptions(view, report);
  checkShared(view, report);
  checkNotifications(view, report);
  checkUpgrades(view, report);
}

// ---------------------------------------------------------------------------------------------------------
// IPv4 address space

export interface Ipv4Range {
  text: string;
  /** First address as an unsigned 32-bit number. */
  start: number;
  /** Last address (inclusive). */
  end: number;
  prefix: number;
}

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (const octet of m.slice(1)) {
    // Leading zeros are read as octal by some tools; refuse them rather than guess.
    if (octet.length > 1 && octet.startsWith("0")) return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Parses `a.b.c.d/n`; returns a sentence on failure. */
export function parseCidr(text: string): Ipv4Range | string {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const address = m?.[1] === undefined ? undefined : parseIpv4(m[1]);
  const prefix = m?.[2] === undefined ? NaN : Number(m[2]);
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) {
    return `${JSON.stringify(text)} is not an IPv4 CIDR such as 10.1.0.0/16.`;
  }
  const size = 2 ** (32 - prefix);
  const start = address - (address % size);
  if (start !== address) {
    return `${text} has host bits set; Azure expects the network address ${formatIpv4(start)}/${prefix}.`;
  }
  return { text, start, end: start + size - 1, prefix };
}

const overlaps = (a: Ipv4Range, b: Ipv4Range): boolean => a.start <= b.end && b.start <= a.end;
const contains = (outer: Ipv4Range, inner: Ipv4Range): boolean => inner.start >= outer.start && inner.end <= outer.end;

/** Ranges AKS refuses for pod and service CIDRs (link-local, Docker/bridge defaults AKS reserves, TEST-NET-1). */
const AKS_RESERVED = ["169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24"].map(
  (t) => parseCidr(t) as Ipv4Range,
);

function checkNetworks(view: SpecView, report: Report): void {
  const cidr = (path: PathSegment[], text: string): Ipv4Range | undefined => {
    const r = parseCidr(text);
    if (typeof r === "string") {
      report(path, r);
      return undefined;
    }
    return r;
  };
  interface ClusterNet {
    name: string;
    base: PathSegment[];
    vnet?: Ipv4Range;
    node?: Ipv4Range;
    pod?: Ipv4Range;
    service?: Ipv4Range;
    dnsServiceIp: string;
  }
  const nets: ClusterNet[] = view.clusters.flatMap(({ index, cluster }) => {
    const base: PathSegment[] = ["clusters", index, "network"];
    const n = cluster.network;
    if (!n) return [];
    return {
      name: cluster.name ?? formatPath(["clusters", index]),
      base,
      vnet: cidr([...base, "vnetCidr"], n.vnetCidr),
      node: cidr([...base, "nodeSubnetCidr"], n.nodeSubnetCidr),
      pod: cidr([...base, "podCidr"], n.podCidr),
      service: cidr([...base, "serviceCidr"], n.serviceCidr),
      dnsServiceIp: n.dnsServiceIp,
    };
  });

  // VNets are peered full-mesh (NET-2): their address spaces must be disjoint.
  nets.forEach((a, i) => {
    for (const b of nets.slice(0, i)) {
      if (a.vnet && b.vnet && overlaps(a.vnet, b.vnet)) {
        report(
          [...a.base, "vnetCidr"],
          `${a.vnet.text} overlaps the VNet of cluster ${b.name} (${formatPath([...b.base, "vnetCidr"])} = ${b.vnet.text}); peered VNets need distinct address space.`,
        );
      }
    }
  });

  for (const net of nets) {
    if (net.vnet && net.node && !contains(net.vnet, net.node)) {
      report(
        [...net.base, "nodeSubnetCidr"],
        `The node subnet ${net.node.text} is not inside the cluster's VNet ${net.vnet.text}.`,
      );
    }
    for (const key of ["pod", "service"] as const) {
      const range = net[key];
      if (!range) continue;
      const field = key === "pod" ? "podCidr" : "serviceCidr";
      const what = key === "pod" ? "pod CIDR" : "service CIDR";
      for (const other of nets) {
        if (other.vnet && overlaps(range, other.vnet)) {
          const whose = other === net ? "the cluster's own VNet" : `the VNet of cluster ${other.name}`;
          report(
            [...net.base, field],
            `The ${what} ${range.text} overlaps ${whose} (${other.vnet.text}); with Azure CNI Overlay it must be outside all VNet space (NET-5).`,
          );
        }
      }
      const reserved = AKS_RESERVED.find((r) => overlaps(range, r));
      if (reserved)
        report([...net.base, field], `The ${what} ${range.text} overlaps ${reserved.text}, which AKS reserves.`);
    }
    if (net.pod && net.service && overlaps(net.pod, net.service)) {
      report(
        [...net.base, "serviceCidr"],
        `The service CIDR ${net.service.text} overlaps the pod CIDR ${net.pod.text} of the same cluster.`,
      );
    }
  }

  for (const { base, service, dnsServiceIp } of nets) {
    const path = [...base, "dnsServiceIp"];
    const ip = parseIpv4(dnsServiceIp);
    if (ip === undefined) {
      report(path, `${JSON.stringify(dnsServiceIp)} is not an IPv4 address such as 172.16.0.10.`);
    } else if (service) {
      if (ip < service.start || ip > service.end) {
        report(path, `The DNS service IP ${dnsServiceIp} is not inside the service CIDR ${service.text}.`);
      } else if (ip === service.start || ip === service.start + 1) {
        report(
          path,
          `The DNS service IP ${dnsServiceIp} is the network or first address of ${service.text}, which Kubernetes uses itself; pick another such as ${formatIpv4(service.start + 10)}.`,
        );
      }
    }
  }

  const access = view.access;
  const bastion = access.bastion && cidr(["access", "bastion", "subnetCidr"], access.bastion.subnetCidr);
  const jumpbox = access.jumpbox && cidr(["access", "jumpbox", "subnetCidr"], access.jumpbox.subnetCidr);
  if (bastion && bastion.prefix > 26) {
    report(
      ["access", "bastion", "subnetCidr"],
      `AzureBastionSubnet ${bastion.text} is too small: Azure Bastion needs a /26 or larger.`,
    );
  }
  const host = nets.find((n) => n.name === access.hostCluster);
  if (!host) return;
  const subnets = [
    { path: ["access", "bastion", "subnetCidr"], what: "AzureBastionSubnet", range: bastion },
    { path: ["access", "jumpbox", "subnetCidr"], what: "The jump-VM subnet", range: jumpbox },
  ] as const;
  for (const s of subnets) {
    if (!s.range) continue;
    if (host.vnet && !contains(host.vnet, s.range)) {
      report(
        [...s.path],
        `${s.what} ${s.range.text} is not inside the VNet ${host.vnet.text} of the host cluster ${host.name}.`,
      );
    }
    if (host.node && overlaps(host.node, s.range)) {
      report(
        [...s.path],
        `${s.what} ${s.range.text} overlaps the node subnet ${host.node.text} of cluster ${host.name}.`,
      );
    }
  }
  if (bastion && jumpbox && overlaps(bastion, jumpbox)) {
    report(
      ["access", "jumpbox", "subnetCidr"],
      `The jump-VM subnet ${jumpbox.text} overlaps AzureBastionSubnet ${bastion.text}.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Names: Azure naming rules, uniqueness, references

interface NameRule {
  what: string;
  min: number;
  max: number;
  valid: (name: string) => boolean;
  chars: string;
  /** Names that are DNS labels across all of Azure. */
  global?: boolean;
}

const alnum = "[a-zA-Z0-9]";
const NAME_RULES = {
  resourceGroup: {
    what: "Resource group name",
    min: 1,
    max: 90,
    valid: (n) => /^[-\w.()\p{L}\p{N}]+$/u.test(n) && !n.endsWith("."),
    chars: "letters, digits, underscores, hyphens, periods and parentheses, not ending with a period",
  },
  // AKS truncates and refuses node resource group names past 80 characters.
  nodeResourceGroup: {
    what: "Node resource group name",
    min: 1,
    max: 80,
    valid: (n) => /^[-\w.()\p{L}\p{N}]+$/u.test(n) && !n.endsWith("."),
    chars: "letters, digits, underscores, hyphens, periods and parentheses, not ending with a period",
  },
  aks: {
    what: "AKS cluster name",
    min: 1,
    max: 63,
    valid: (n) => new RegExp(`^${alnum}([\\w-]*${alnum})?$`).test(n),
    chars: "letters, digits, underscores and hyphens, starting and ending with a letter or digit",
  },
  vnet: {
    what: "VNet name",
    min: 2,
    max: 64,
    valid: (n) => new RegExp(`^${alnum}([\\w.-]*\\w)?$`).test(n),
    chars:
      "letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore",
  },
  bastion: {
    what: "Bastion name",
    min: 1,
    max: 80,
    valid: (n) => new RegExp(`^${alnum}([\\w.-]*\\w)?$`).test(n),
    chars:
      "letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore",
  },
  // The VM name doubles as the Linux host name, so host-name rules apply on top of the VM resource rules.
  vm: {
    what: "VM name",
    min: 1,
    max: 64,
    valid: (n) => new RegExp(`^${alnum}([a-zA-Z0-9.-]*${alnum})?$`).test(n) && !/^\d+$/.test(n),
    chars: "letters, digits, hyphens and periods, starting and ending with a letter or digit, not only digits",
  },
  keyVault: {
    what: "Key Vault name",
    min: 3,
    max: 24,
    valid: (n) => /^[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(n) && !n.includes("--"),
    chars:
      "letters, digits and hyphens, starting with a letter, ending with a letter or digit, with no consecutive hyphens",
    global: true,
  },
  containerRegistry: {
    what: "Container registry name",
    min: 5,
    max: 50,
    valid: (n) => /^[a-zA-Z0-9]+$/.test(n),
    chars: "letters and digits only",
    global: true,
  },
  logAnalytics: {
    what: "Log Analytics workspace name",
    min: 4,
    max: 63,
    valid: (n) => new RegExp(`^${alnum}([a-zA-Z0-9-]*${alnum})?$`).test(n),
    chars: "letters, digits and hyphens, starting and ending with a letter or digit",
  },
  appInsights: {
    what: "Application Insights name",
    min: 1,
    max: 260,
    // eslint-disable-next-line no-control-regex -- control characters are exactly what the rule refuses
    valid: (n) => !/[%&\\?/\u0000-\u001f]/.test(n) && !/[ .]$/.test(n),
    chars: "any characters except % & \\ ? / and control characters, not ending with a space or period",
  },
  backupVault: {
    what: "Backup vault name",
    min: 2,
    max: 50,
    valid: (n) => /^[a-zA-Z][a-zA-Z0-9-]*$/.test(n),
    chars: "letters, digits and hyphens, starting with a letter",
  },
} satisfies Record<string, NameRule>;

function checkName(rule: NameRule, name: string, path: PathSegment[], report: Report): void {
  const lengthOk = name.length >= rule.min && name.length <= rule.max;
  if (lengthOk && rule.valid(name)) return;
  const length = lengthOk ? "" : ` (it has ${name.length})`;
  const hint = rule.global
    ? ` ${rule.what.replace(" name", "")} names must be globally unique across Azure, so choose one nobody else uses.`
    : "";
  report(
    path,
    `${rule.what} ${JSON.stringify(name)} is not valid: use ${rule.min}–${rule.max} characters${length} of ${rule.chars}.${hint}`,
  );
}

/** User names Azure refuses as a VM's admin user (Compute API "reserved" list). */
const RESERVED_ADMIN_USERNAMES = new Set(
  "administrator admin user user1 test user2 test1 user3 admin1 1 123 a actuser adm admin2 aspnet backup console david guest john owner root server sql support support_388945a0 sys test2 test3 user4 user5".split(
    " ",
  ),
);

/** A DNS name of at least two labels: letters, digits and hyphens, labels 1–63 characters, 253 in all. */
function dnsNameProblem(name: string): string | undefined {
  const labels = name.split(".");
  if (name.length > 253) return `is longer than 253 characters`;
  if (labels.length < 2) return "needs at least two labels, such as example.com";
  const bad = labels.find((l) => !/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l));
  if (bad !== undefined)
    return `has the label ${JSON.stringify(bad)}; labels are 1–63 letters, digits and hyphens, not starting or ending with a hyphen`;
  return undefined;
}

function checkNames(view: SpecView, report: Report): void {
  const check = (rule: NameRule, name: string | undefined, path: PathSegment[]): void => {
    if (name !== undefined) checkName(rule, name, path, report);
  };
  check(NAME_RULES.resourceGroup, view.commonResourceGroup, ["commonResourceGroup"]);
  for (const { index, cluster } of view.clusters) {
    check(NAME_RULES.aks, cluster.aksName, ["clusters", index, "aksName"]);
    check(NAME_RULES.resourceGroup, cluster.resourceGroup, ["clusters", index, "resourceGroup"]);
    check(NAME_RULES.nodeResourceGroup, cluster.nodeResourceGroup, ["clusters", index, "nodeResourceGroup"]);
    check(NAME_RULES.vnet, cluster.network?.vnetName, ["clusters", index, "network", "vnetName"]);
  }
  const { access, shared, gitops } = view;
  check(NAME_RULES.bastion, access.bastion?.name, ["access", "bastion", "name"]);
  check(NAME_RULES.vm, access.jumpbox?.vmName, ["access", "jumpbox", "vmName"]);
  const admin = access.jumpbox?.adminUsername;
  if (admin !== undefined && RESERVED_ADMIN_USERNAMES.has(admin)) {
    report(
      ["access", "jumpbox", "adminUsername"],
      `Azure does not allow ${JSON.stringify(admin)} as a VM admin user name; choose another such as azureuser.`,
    );
  }
  check(NAME_RULES.keyVault, shared.keyVault?.name, ["shared", "keyVault", "name"]);
  check(NAME_RULES.containerRegistry, shared.containerRegistry?.name, ["shared", "containerRegistry", "name"]);
  check(NAME_RULES.logAnalytics, shared.logAnalytics?.name, ["shared", "logAnalytics", "name"]);
  check(NAME_RULES.appInsights, shared.appInsights?.name, ["shared", "appInsights", "name"]);
  check(NAME_RULES.backupVault, shared.backupVault?.name, ["shared", "backupVault", "name"]);
  const zone = shared.dnsZone?.name;
  const zoneProblem = zone === undefined ? undefined : dnsNameProblem(zone);
  if (zone !== undefined && zoneProblem)
    report(["shared", "dnsZone", "name"], `DNS zone name ${JSON.stringify(zone)} ${zoneProblem}.`);
  const host = gitops.ingressHost;
  if (host !== undefined) {
    const hostProblem = dnsNameProblem(host);
    if (hostProblem) {
      report(["gitops", "ingressHost"], `Ingress host ${JSON.stringify(host)} ${hostProblem}.`);
    } else if (zone !== undefined && !zoneProblem) {
      const h = host.toLowerCase();
      if (h !== zone.toLowerCase() && !h.endsWith(`.${zone.toLowerCase()}`)) {
        report(
          ["gitops", "ingressHost"],
          `Ingress host ${host} is not inside the DNS zone ${zone}; the ACME DNS-01 challenge is answered in that zone.`,
        );
      }
    }
  }
  // The tree's Flux Kustomizations name their layers by this path, so a fork must keep the tree there.
  if (gitops.path !== undefined && gitops.path.replace(/^\.?\/+|\/+$/g, "") !== GITOPS_TREE_PATH) {
    report(
      ["gitops", "path"],
      `The GitOps tree's Kustomizations refer to their layers under ${GITOPS_TREE_PATH}; keep the tree at that path in your repository (not ${JSON.stringify(gitops.path)}).`,
    );
  }
  const names = view.clusters.flatMap((c) => (c.cluster.name === undefined ? [] : [c.cluster.name]));
  if (
    access.hostCluster !== undefined &&
    view.clusterNamesKnown &&
    names.length > 0 &&
    !names.includes(access.hostCluster)
  ) {
    report(
      ["access", "hostCluster"],
      `No cluster is named ${JSON.stringify(access.hostCluster)}; the host cluster must be one of ${names.join(", ")}.`,
    );
  }
}

/** Azure tag limits: 50 per resource, names up to 512 characters without < > % & \\ ? /, values up to 256. */
function checkTags(view: SpecView, report: Report): void {
  const tags = Object.entries(view.tags ?? {});
  if (tags.length > 50) report(["tags"], `Azure allows 50 tags per resource; the spec has ${tags.length}.`);
  for (const [name, value] of tags) {
    if (name.length === 0 || name.length > 512 || /[<>%&\\?/]/.test(name)) {
      report(
        ["tags", name],
        `Tag name ${JSON.stringify(name)} is not valid: use 1–512 characters without < > % & \\ ? /.`,
      );
    }
    if (value.length > 256)
      report(["tags", name], `The value of tag ${name} is longer than 256 characters (it has ${value.length}).`);
  }
}

/** Reports every later occurrence of a value already used (case-insensitive: Azure names are). */
interface NameUse {
  value: string | undefined;
  path: PathSegment[];
  what: string;
}

/** Reports every later occurrence of a value already used (case-insensitive: Azure names are). */
function checkUnique(entries: NameUse[], report: Report): void {
  const seen = new Map<string, NameUse>();
  for (const e of entries) {
    if (e.value === undefined) continue;
    const key = e.value.toLowerCase();
    const first = seen.get(key);
    if (first)
      report(
        e.path,
        `${e.what} ${JSON.stringify(e.value)} is already used by ${formatPath(first.path)}; it must be unique.`,
      );
    else seen.set(key, e);
  }
}

function checkUniqueness(view: SpecView, report: Report): void {
  const c = view.clusters;
  // Deployment names put "common-" before a cluster's name for its shared add-on grants: keep the two apart.
  for (const { index, cluster } of c) {
    if (cluster.name?.startsWith("common-")) {
      report(
        ["clusters", index, "name"],
        `Cluster name ${JSON.stringify(cluster.name)} must not start with "common-": that prefix names another cluster's add-on deployment.`,
      );
    }
  }
  checkUnique(
    c.map(({ index, cluster }) => ({ value: cluster.name, path: ["clusters", index, "name"], what: "Cluster name" })),
    report,
  );
  checkUnique(
    c.map(({ index, cluster }) => ({ value: cluster.aksName, path: ["clusters", index, "aksName"], what: "AKS name" })),
    report,
  );
  checkUnique(
    c.map(({ index, cluster }) => ({
      value: cluster.network?.vnetName,
      path: ["clusters", index, "network", "vnetName"],
      what: "VNet name",
    })),
    report,
  );
  // AKS creates and owns the node resource group, so it may not be any other group of the platform either.
  checkUnique(
    [
      { value: view.commonResourceGroup, path: ["commonResourceGroup"], what: "Resource group" },
      ...c.flatMap(({ index, cluster }) => [
        { value: cluster.resourceGroup, path: ["clusters", index, "resourceGroup"], what: "Resource group" },
        { value: cluster.nodeResourceGroup, path: ["clusters", index, "nodeResourceGroup"], what: "Resource group" },
      ]),
    ],
    report,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Options that depend on each other

function checkClusterOptions(view: SpecView, report: Report): void {
  for (const { index, cluster } of view.clusters) {
    const base: PathSegment[] = ["clusters", index];
    const name = cluster.name ?? formatPath(base);
    const { addons, pools, zones } = cluster;
    if (addons && pools) {
      const gateway = addons.istioIngressGateway;
      if (gateway && !pools.ingress) {
        report(
          [...base, "pools", "ingress"],
          `Cluster ${name} has addons.istioIngressGateway but no ingress pool; the gateway runs on its own pool (AKS-5).`,
        );
      }
      if (!gateway && pools.ingress) {
        report(
          [...base, "pools", "ingress"],
          `Cluster ${name} has an ingress pool but addons.istioIngressGateway is false; remove the pool or enable the gateway.`,
        );
      }
    }
    if (addons?.kiali && !addons.istioIngressGateway) {
      report(
        [...base, "addons", "kiali"],
        `Kiali needs the Istio ingress gateway on cluster ${name} (addons.istioIngressGateway).`,
      );
    }
    if (pools && zones) {
      const poolZones = [
        ["system", pools.system.zones],
        ["ingress", pools.ingress?.zones ?? []],
        ["spot", pools.spot.zones],
      ] as const;
      for (const [pool, own] of poolZones) {
        const outside = own.filter((z) => !zones.includes(z));
        if (outside.length > 0) {
          report(
            [...base, "pools", pool, "zones"],
            `Zone ${outside.join(", ")} of the ${pool} pool is not among the cluster's zones (${zones.join(", ")}).`,
          );
        }
      }
    }
  }
}

function checkShared(view: SpecView, report: Report): void {
  const { backupVault: vault, logAnalytics: la } = view.shared;
  if (vault?.crossRegionRestore && vault.storageRedundancy !== "GeoRedundant") {
    report(
      ["shared", "backupVault", "crossRegionRestore"],
      `Cross-region restore needs storageRedundancy GeoRedundant (it is ${vault.storageRedundancy}).`,
    );
  }
  if (la && la.totalRetentionDays < la.interactiveRetentionDays) {
    report(
      ["shared", "logAnalytics", "totalRetentionDays"],
      `Total retention (${la.totalRetentionDays} days) is shorter than interactive retention (${la.interactiveRetentionDays} days); it must be at least as long.`,
    );
  }
}

function checkNotifications(view: SpecView, report: Report): void {
  const { channels, routes, quietHours } = view.notifications;
  if (channels) {
    checkUnique(
      channels.map((ch, i) => ({
        value: ch.name,
        path: ["notifications", "channels", i, "name"],
        what: "Channel name",
      })),
      report,
    );
    const names = new Set(channels.map((ch) => ch.name));
    routes?.forEach((route, r) => {
      route.channels.forEach((channel, c) => {
        if (!names.has(channel)) {
          const known = names.size === 0 ? "no channels are defined" : `defined channels: ${[...names].join(", ")}`;
          report(
            ["notifications", "routes", r, "channels", c],
            `Route ${r} names the channel ${JSON.stringify(channel)}, which does not exist (${known}).`,
          );
        }
      });
    });
  }
  if (quietHours) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: quietHours.timeZone });
    } catch {
      report(
        ["notifications", "quietHours", "timeZone"],
        `${JSON.stringify(quietHours.timeZone)} is not an IANA time zone such as Asia/Seoul.`,
      );
    }
  }
}

function checkUpgrades(view: SpecView, report: Report): void {
  if (!view.clusterNamesKnown) return;
  const names = view.clusters.map((c) => c.cluster.name).filter((n): n is string => n !== undefined);
  const known = `clusters: ${names.join(", ")}`;
  const staged = new Map<string, number>();
  view.upgrades.stages?.forEach((stage, s) => {
    stage.clusters.forEach((cluster, c) => {
      const path: PathSegment[] = ["upgrades", "stages", s, "clusters", c];
      if (!names.includes(cluster))
        report(
          path,
          `Stage ${stage.name} names the cluster ${JSON.stringify(cluster)}, which does not exist (${known}).`,
        );
      else if (staged.has(cluster))
        report(
          path,
          `Cluster ${cluster} is already in stage ${view.upgrades.stages![staged.get(cluster)!]!.name}; a cluster belongs to one stage.`,
        );
      else staged.set(cluster, s);
    });
  });
  if (view.upgrades.stages) {
    const missing = names.filter((n) => !staged.has(n));
    if (missing.length > 0)
      report(["upgrades", "stages"], `Every cluster needs a stage; missing: ${missing.join(", ")}.`);
    checkUnique(
      view.upgrades.stages.map((st, i) => ({
        value: st.name,
        path: ["upgrades", "stages", i, "name"],
        what: "Stage name",
      })),
      report,
    );
  }
  for (const cluster of Object.keys(view.upgrades.maintenanceWindows ?? {})) {
    if (!names.includes(cluster))
      report(["upgrades", "maintenanceWindows", cluster], `No cluster is named ${JSON.stringify(cluster)} (${known}).`);
  }
}
