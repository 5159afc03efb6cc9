import { z } from "zod";

/**
 * A drift report people can read: ARM what-if changes of one deployment unit, turned into findings per resource
 * with the property paths that differ (now → spec), the noise removed, and a severity by what changed.
 *
 * What-if compares the resource as it is NOW (`before`) with what the template asks for (`after`), so a rule added
 * by hand is an element present `before` and absent `after`. Pure: the activity gives it what ARM answered.
 */

export const DRIFT_SEVERITIES = ["high", "medium", "low"] as const;
export type DriftSeverity = (typeof DRIFT_SEVERITIES)[number];

/** One what-if property change as the ARM SDK reports it (`children` for array elements and nested changes). */
export interface WhatIfPropertyChange {
  path: string;
  propertyChangeType: string;
  before?: unknown;
  after?: unknown;
  children?: WhatIfPropertyChange[];
}

export interface WhatIfResourceChange {
  resourceId: string;
  changeType: string;
  delta: WhatIfPropertyChange[];
}

export const driftPropertyChangeSchema = z.object({
  /** `properties.securityRules[3]`: the what-if path, array elements as `[index]`. */
  path: z.string(),
  /** `added`: present in Azure, not in the spec; `removed`: in the spec, missing in Azure; `changed`: both differ. */
  change: z.enum(["added", "removed", "changed"]),
  now: z.unknown().optional(),
  spec: z.unknown().optional(),
  severity: z.enum(DRIFT_SEVERITIES),
  /** One line a person reads, e.g. `properties.securityRules[3] allow-ssh: Allow Inbound TCP 22 from * (not in the spec)`. */
  text: z.string(),
});
export type DriftPropertyChange = z.infer<typeof driftPropertyChangeSchema>;

export const driftFindingSchema = z.object({
  unit: z.string(),
  resourceId: z.string(),
  resourceType: z.string(),
  resourceName: z.string(),
  /** `modified`: properties differ; `missing`: deleted outside the app (what-if: Create). */
  kind: z.enum(["modified", "missing"]),
  severity: z.enum(DRIFT_SEVERITIES),
  changes: z.array(driftPropertyChangeSchema),
});
export type DriftFinding = z.infer<typeof driftFindingSchema>;

export const driftReportSchema = z.object({
  environment: z.string(),
  checkedAt: z.string(),
  trigger: z.enum(["event", "sweep", "manual", "after-remediation"]),
  units: z.array(z.string()),
  findings: z.array(driftFindingSchema),
  /** The worst finding's severity, `none` without drift. */
  severity: z.enum(["none", ...DRIFT_SEVERITIES]),
  /** Units that could not be checked (ARM refused the what-if, a dependency is not deployed). */
  errors: z.array(z.object({ unit: z.string(), message: z.string() })),
  /** Units not checked on purpose (their cluster was torn down), with why; absent in reports stored before. */
  skipped: z.array(z.object({ unit: z.string(), reason: z.string() })).optional(),
  /** Changes dropped as noise, per reason (so a person can see nothing was hidden silently). */
  suppressed: z.record(z.string(), z.number()),
});
export type DriftReport = z.infer<typeof driftReportSchema>;

// ---- noise ---------------------------------------------------------------------------------------

/** Paths ARM or the resource provider sets on its own (read-only or server-managed), for any resource type. */
const READ_ONLY_PATHS = [
  /(^|\.)provisioningState$/i,
  /^(id|etag|name|type|apiVersion|systemData)$/i,
  /^properties\.resourceGuid$/i,
  /(^|\.)etag$/i,
];

/** Fields AKS manages itself (auto-upgrades, node images, identities it creates, endpoints). */
const AKS_MANAGED_PATHS = [
  /^properties\.currentKubernetesVersion$/i,
  /^properties\.powerState/i,
  /^properties\.(fqdn|privateFQDN|azurePortalFQDN|maxAgentPools|nodeResourceGroup)$/i,
  /^properties\.identityProfile/i,
  /^properties\.addonProfiles\.[^.]+\.identity/i,
  /^properties\.oidcIssuerProfile\.issuerURL$/i,
  /^properties\.agentPoolProfiles\[\d+\]\.(nodeImageVersion|orchestratorVersion|currentOrchestratorVersion|powerState|provisioningState)$/i,
  /^properties\.(nodeImageVersion|orchestratorVersion|currentOrchestratorVersion|powerState)$/i,
  /^properties\.networkProfile\.(podCidrs|serviceCidrs|ipFamilies|loadBalancerProfile\.effectiveOutboundIPs)/i,
];

const AKS_TYPES = /^microsoft\.containerservice\/managedclusters(\/agentpools)?$/i;

/** A what-if change ARM reports although nothing will change (documented false positives). */
function falsePositive(change: WhatIfPropertyChange): string | undefined {
  if (change.propertyChangeType === "NoEffect") return "no effect";
  const { before, after } = change;
  // An unevaluated expression (`[reference(…)]`) is what-if not knowing the value, not a difference.
  if (typeof after === "string" && /^\[.*\]$/s.test(after)) return "unevaluated expression";
  if (after !== null && typeof after === "object" && "$deferred" in after) return "unevaluated expression";
  // ARM normalises the case of ids, locations and enum values.
  if (typeof before === "string" && typeof after === "string" && before.toLowerCase() === after.toLowerCase())
    return "case only";
  return undefined;
}

// ---- severity ------------------------------------------------------------------------------------

/** Security-relevant changes (network exposure, access, Key Vault protection): high. */
const HIGH_PATHS = [
  /securityRules/i,
  /networkAcls|ipRules|virtualNetworkRules|ipRangeFilter|defaultAction/i,
  /publicNetworkAccess|allowBlobPublicAccess|anonymousPullEnabled|publicAccess/i,
  /enablePurgeProtection|enableSoftDelete|softDeleteRetentionInDays|enableRbacAuthorization|accessPolicies/i,
  /apiServerAccessProfile|aadProfile|disableLocalAccounts|enableRBAC|authorizedIPRanges/i,
  /adminUserEnabled|minimumTlsVersion|supportsHttpsTrafficOnly|disableLocalAuth/i,
];
const HIGH_TYPES = /^microsoft\.(authorization\/roleassignments|network\/networksecuritygroups(\/securityrules)?)$/i;

function severityOf(resourceType: string, path: string): DriftSeverity {
  if (HIGH_TYPES.test(resourceType) && !/^tags/i.test(path)) return "high";
  if (HIGH_PATHS.some((re) => re.test(path))) return "high";
  if (/^tags(\.|$)/i.test(path)) return "low";
  return "medium";
}

const RANK: Record<DriftSeverity, number> = { high: 3, medium: 2, low: 1 };
export function worstSeverity(list: readonly DriftSeverity[]): DriftSeverity | "none" {
  let worst: DriftSeverity | "none" = "none";
  for (const s of list) if (worst === "none" || RANK[s] > RANK[worst]) worst = s;
  return worst;
}

// ---- rendering -----------------------------------------------------------------------------------

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A short reading of a value: an NSG rule as `Allow Inbound Tcp 22 from *`, anything else compact JSON. */
export function describeValue(v: unknown): string {
  if (isRecord(v) && isRecord(v.properties) && typeof v.name === "string") {
    const p = v.properties;
    if (typeof p.access === "string" && typeof p.direction === "string") {
      const ports = p.destinationPortRange ?? p.destinationPortRanges ?? "*";
      const from = p.sourceAddressPrefix ?? p.sourceAddressPrefixes ?? "*";
      return `${v.name}: ${p.access} ${p.direction} ${JSON.stringify(p.protocol ?? "*").replace(/"/g, "")} ${JSON.stringify(ports)} from ${JSON.stringify(from)} (priority ${JSON.stringify(p.priority ?? "?")})`;
    }
    return `${v.name}`;
  }
  const text = JSON.stringify(v);
  return text === undefined ? "(absent)" : text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function lineOf(path: string, change: DriftPropertyChange["change"], now: unknown, spec: unknown): string {
  if (change === "added") return `${path}: ${describeValue(now)} is in Azure but not in the spec`;
  if (change === "removed") return `${path}: ${describeValue(spec)} is in the spec but missing in Azure`;
  return `${path}: ${describeValue(now)} → spec ${describeValue(spec)}`;
}

// ---- building the report -------------------------------------------------------------------------

/** Where a resource id ends: its type (`Microsoft.Network/networkSecurityGroups`) and name. */
export function typeAndName(resourceId: string): { type: string; name: string } {
  const parts = resourceId.split("/").filter(Boolean);
  const p = parts.map((x) => x.toLowerCase()).lastIndexOf("providers");
  if (p < 0 || p + 3 > parts.length) return { type: "Microsoft.Resources/resourceGroups", name: parts.at(-1) ?? "" };
  const rest = parts.slice(p + 1);
  const types = [rest[0]!];
  const names: string[] = [];
  for (let i = 1; i + 1 < rest.length; i += 2) {
    types.push(rest[i]!);
    names.push(rest[i + 1]!);
  }
  return { type: types.join("/"), name: names.join("/") };
}

export interface Flattened {
  path: string;
  change: DriftPropertyChange["change"];
  now?: unknown;
  spec?: unknown;
}

/** What-if deltas flattened to leaf changes (`Array` children become `path[index]`, nested ones `path.sub`). */
function flatten(changes: readonly WhatIfPropertyChange[], prefix: string, out: Flattened[], dropped: Counter): void {
  for (const c of changes) {
    const path = !prefix
      ? c.path
      : /^\d+$/.test(c.path)
        ? `${prefix}[${c.path}]`
        : c.path
          ? `${prefix}.${c.path}`
          : prefix;
    const reason = falsePositive(c);
    if (reason) {
      dropped(reason);
      continue;
    }
    if (c.children?.length) {
      flatten(c.children, path, out, dropped);
      continue;
    }
    const kind = c.propertyChangeType.toLowerCase();
    // what-if `Delete`: present now, not in the template; `Create`: in the template, missing now.
    if (kind === "delete") out.push({ path, change: "added", now: c.before });
    else if (kind === "create") out.push({ path, change: "removed", spec: c.after });
    else if (kind === "modify") out.push({ path, change: "changed", now: c.before, spec: c.after });
    else dropped(`property change ${c.propertyChangeType}`);
  }
}

/** Counts a change dropped as noise, by reason. */
export type Counter = (reason: string) => void;

/** A property change of a modified resource that survived the noise filter. */
export type MeaningfulChange = Flattened & { severity: DriftSeverity };

/**
 * The property changes of one what-if `Modify` that mean something: what-if's documented false positives, read-only
 * and server-managed paths, AKS-managed fields and server-defaulted properties dropped (each counted by `dropped`).
 * Drift reads them as now → spec; `plan` reads the same leaves as before → after.
 */
export function meaningfulChanges(
  resourceType: string,
  delta: readonly WhatIfPropertyChange[],
  dropped: Counter,
): MeaningfulChange[] {
  const leaves: Flattened[] = [];
  flatten(delta, "", leaves, dropped);
  const kept: MeaningfulChange[] = [];
  for (const leaf of leaves) {
    if (READ_ONLY_PATHS.some((re) => re.test(leaf.path))) {
      dropped("read-only property");
      continue;
    }
    if (AKS_TYPES.test(resourceType) && AKS_MANAGED_PATHS.some((re) => re.test(leaf.path))) {
      dropped("AKS-managed field");
      continue;
    }
    const severity = severityOf(resourceType, leaf.path);
    // A property Azure fills in by itself shows as present now and absent from the template: server-defaulted,
    // not drift, unless it is security-relevant or an element of a list the spec owns (an extra NSG rule).
    if (leaf.change === "added" && !/\]$/.test(leaf.path) && severity !== "high") {
      dropped("server-defaulted property");
      continue;
    }
    kept.push({ ...leaf, severity });
  }
  return kept;
}

/**
 * Findings of one unit's what-if. `Ignore` (a resource the template does not hold; incremental mode keeps it),
 * `NoChange`, `Deploy` without details and `Unsupported` are not drift of this unit.
 */
export function findingsOfWhatIf(
  unit: string,
  changes: readonly WhatIfResourceChange[],
  suppressed: Record<string, number>,
): DriftFinding[] {
  const dropped: Counter = (reason) => {
    suppressed[reason] = (suppressed[reason] ?? 0) + 1;
  };
  const findings: DriftFinding[] = [];
  for (const change of changes) {
    const { type, name } = typeAndName(change.resourceId);
    const kind = change.changeType.toLowerCase();
    if (kind === "create") {
      const severity = HIGH_TYPES.test(type) || /vaults$/i.test(type) ? "high" : "medium";
      findings.push({
        unit,
        resourceId: change.resourceId,
        resourceType: type,
        resourceName: name,
        kind: "missing",
        severity,
        changes: [
          {
            path: "(resource)",
            change: "removed",
            severity,
            text: `${type} ${name} is in the spec but does not exist in Azure (deleted outside the app?)`,
          },
        ],
      });
      continue;
    }
    if (kind !== "modify") {
      if (kind !== "nochange") dropped(`resource ${change.changeType}`);
      continue;
    }
    const kept: DriftPropertyChange[] = meaningfulChanges(type, change.delta, dropped).map((leaf) => ({
      path: leaf.path,
      change: leaf.change,
      ...(leaf.now !== undefined ? { now: leaf.now } : {}),
      ...(leaf.spec !== undefined ? { spec: leaf.spec } : {}),
      severity: leaf.severity,
      text: lineOf(leaf.path, leaf.change, leaf.now, leaf.spec),
    }));
    if (kept.length === 0) continue;
    findings.push({
      unit,
      resourceId: change.resourceId,
      resourceType: type,
      resourceName: name,
      kind: "modified",
      severity: worstSeverity(kept.map((k) => k.severity)) as DriftSeverity,
      changes: kept,
    });
  }
  return findings;
}

export interface UnitCheck {
  unit: string;
  /** What ARM's what-if answered, or why the unit could not be checked. */
  result: { ok: true; changes: WhatIfResourceChange[] } | { ok: false; message: string };
}

export function buildDriftReport(input: {
  environment: string;
  checkedAt: string;
  trigger: DriftReport["trigger"];
  checks: readonly UnitCheck[];
  skipped?: readonly { unit: string; reason: string }[];
}): DriftReport {
  const suppressed: Record<string, number> = {};
  const findings: DriftFinding[] = [];
  const errors: DriftReport["errors"] = [];
  for (const check of input.checks) {
    if (check.result.ok) findings.push(...findingsOfWhatIf(check.unit, check.result.changes, suppressed));
    else errors.push({ unit: check.unit, message: check.result.message });
  }
  findings.sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.resourceId.localeCompare(b.resourceId));
  return {
    environment: input.environment,
    checkedAt: input.checkedAt,
    trigger: input.trigger,
    units: input.checks.map((c) => c.unit),
    findings,
    severity: worstSeverity(findings.map((f) => f.severity)),
    errors,
    ...(input.skipped?.length ? { skipped: [...input.skipped] } : {}),
    suppressed,
  };
}

/** The drifted units of a report, in order. */
export function driftedUnits(report: DriftReport): string[] {
  return [...new Set(report.findings.map((f) => f.unit))];
}

/** The report as text: one block per finding, worst first. */
export function renderDriftText(report: DriftReport): string {
  const lines: string[] = [];
  if (report.findings.length === 0)
    lines.push(`no drift in ${report.environment} (${report.units.length} units checked at ${report.checkedAt})`);
  else
    lines.push(
      `DRIFT in ${report.environment}: ${report.findings.length} resource(s), severity ${report.severity} (checked ${report.checkedAt}, ${report.trigger})`,
    );
  for (const f of report.findings) {
    lines.push(`  ${f.severity.toUpperCase()}  ${f.resourceType} ${f.resourceName}  (unit ${f.unit})`);
    for (const c of f.changes) lines.push(`      ${c.text}`);
  }
  for (const e of report.errors) lines.push(`  not checked: ${e.unit}: ${e.message}`);
  for (const s of report.skipped ?? []) lines.push(`  skipped: ${s.unit}: ${s.reason}`);
  const noise = Object.entries(report.suppressed);
  if (noise.length) lines.push(`  noise removed: ${noise.map(([k, v]) => `${v} ${k}`).join(", ")}`);
  return lines.join("\n");
}
