import { messages, type NotifyMessage } from "../../lib/notify";
import { buildDriftReport, driftDetectedMessage, driftRemediatedMessage } from "../../lib/drift";
import { upgradeMessage } from "../../lib/upgrade";

/** One sample of every message the app sends, with fixed times and ids so renderings are stable. */

const env = "k8s-demo";
const at = "2026-11-24T03:10:00.000Z";
const vm = (n: number) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-k8s-demo-app1-nodes/providers/Microsoft.Compute/virtualMachines/aks-spot-${n}`;

const evictions = [1, 2, 3].map((n) => ({
  environment: env,
  cluster: "app1",
  resource: vm(n),
  zone: String(n),
  vmSize: "Standard_D4s_v5",
  correlationId: `evict-${n}`,
  occurredAt: `2026-11-24T03:1${n}:00.000Z`,
}));

export const samples: Record<string, NotifyMessage> = {
  "eviction-started": messages.evictionStarted(evictions[0]!),
  "eviction-digest": messages.evictionDigest(evictions.slice(1), {
    windowMinutes: 5,
    firstSentAt: "2026-11-24T03:11:00.000Z",
  }),
  "eviction-recovered": messages.evictionRecovered({
    environment: env,
    cluster: "app1",
    resource: vm(1),
    evictedAt: "2026-11-24T03:11:00.000Z",
    recoveredAt: "2026-11-24T03:15:30.000Z",
    readyNodes: 3,
    pendingPods: 0,
    correlationId: "evict-1",
    occurredAt: "2026-11-24T03:15:30.000Z",
  }),
  "eviction-escalation": messages.evictionEscalation({
    environment: env,
    cluster: "app2",
    waitedMinutes: 15,
    pendingPods: 12,
    reason: "Karpenter could not launch Spot nodes in any zone for 15 minutes.",
    zonesWithoutSpotCapacity: ["1", "2", "3"],
    allZonesWithoutSpotCapacity: true,
    correlationId: "evict-7",
    occurredAt: at,
  }),
  "certificate-renewed": messages.certificateRenewed({
    environment: env,
    cluster: "app1",
    host: "app.k8s-demo.example.com",
    resource: "kv-k8s-demo/certificates/ingress-tls",
    notAfter: "2027-02-22T00:00:00.000Z",
    version: "3f2a9c",
    rolledOutTo: "aks-istio-ingress/aks-istio-ingressgateway-external",
    correlationId: "cert-1",
    occurredAt: at,
  }),
  "certificate-near-expiry": messages.certificateNearExpiry({
    environment: env,
    host: "app.k8s-demo.example.com",
    resource: "kv-k8s-demo/certificates/ingress-tls",
    notAfter: "2026-12-20T00:00:00.000Z",
    daysLeft: 26,
    renewalTriggered: true,
    correlationId: "cert-2",
    occurredAt: at,
  }),
  "certificate-expired": messages.certificateExpired({
    environment: env,
    host: "app.k8s-demo.example.com",
    resource: "kv-k8s-demo/certificates/ingress-tls",
    notAfter: "2026-11-24T00:00:00.000Z",
    correlationId: "cert-3",
    occurredAt: at,
  }),
  "backup-failed": messages.backupFailed({
    environment: env,
    cluster: "app2",
    resource: "bv-k8s-demo/backupInstances/app2",
    jobId: "job-42",
    error: "UserErrorKubernetesBackupExtensionUnhealthy: the backup extension is not running.",
    retry: { attempt: 1, maxAttempts: 2, started: true },
    correlationId: "backup-1",
    occurredAt: at,
  }),
  "nightly-summary-ok": messages.nightlySummary({
    environment: env,
    clusters: [
      { cluster: "mgmt", problems: [] },
      { cluster: "app1", problems: [] },
      { cluster: "app2", problems: [] },
    ],
    reportLocation: "reports/2026-11-24/backup-verification.json",
    correlationId: "nightly-2026-11-24",
    occurredAt: at,
  }),
  "nightly-summary-problems": messages.nightlySummary({
    environment: env,
    clusters: [
      { cluster: "mgmt", problems: [] },
      { cluster: "app1", problems: ["newest recovery point is 31 h old (limit 26 h)"] },
      { cluster: "app2", problems: ["backup instance is not healthy (ProtectionError)", "last job failed"] },
    ],
    reportLocation: "reports/2026-11-24/backup-verification.json",
    correlationId: "nightly-2026-11-24",
    occurredAt: at,
  }),
  "provisioning-done": messages.provisioningDone({
    environment: env,
    instanceId: "k8s-demo",
    durationMinutes: 42,
    phases: 6,
    clusters: ["mgmt", "app1", "app2"],
    correlationId: "build-1",
    occurredAt: at,
  }),
  "provisioning-failed": messages.provisioningFailed({
    environment: env,
    instanceId: "k8s-demo",
    completedPhases: 3,
    failures: [
      {
        phase: "clusters",
        unit: "aks-app1",
        resource: "aks-k8s-demo-app1",
        message: "QuotaExceeded: not enough vCPU quota in koreacentral",
      },
      { phase: "addons", unit: "flux-app2", message: "the GitOps repository could not be reached" },
    ],
    correlationId: "build-2",
    occurredAt: at,
  }),
  "provisioning-canceled": messages.provisioningCanceled({
    environment: env,
    instanceId: "build:k8s-demo",
    succeeded: 9,
    canceled: {
      requestedAt: "2026-11-24T05:10:00.000Z",
      request: "POST /api/environments/k8s-demo/provision/cancel",
      requestedBy: "ops@example.com",
      cancelledInArm: ["k8s-demo-aks-app1"],
      awaited: ["k8s-demo-aks-app2"],
      notStarted: ["k8s-demo-addons-app1"],
    },
    correlationId: "build-3",
    occurredAt: at,
  }),
  "cluster-lifecycle": messages.clusterLifecycle({
    environment: env,
    cluster: "app2",
    event: "upgraded",
    detail: "Kubernetes 1.33.2 → 1.34.0",
    correlationId: "lifecycle-1",
    occurredAt: at,
  }),
  "notify-test": messages.testMessage({ environment: env, channel: "slack", correlationId: "test-1", occurredAt: at }),
  ...upgradeSamples(),
  ...driftSamples(),
};

function upgradeSamples(): Record<string, NotifyMessage> {
  const header = {
    environment: env,
    runId: "k8s-demo-20261207T060000Z",
    target: { kubernetesVersion: "1.34" },
    correlationId: "upgrade:k8s-demo",
    occurredAt: at,
  };
  const base = "https://func-k8s-demo.azurewebsites.net";
  return {
    "upgrade-approval": upgradeMessage(
      {
        ...header,
        kind: "approval",
        reasons: ["Kubernetes minor upgrade 1.33 → 1.34.1"],
        changes: ["mgmt: Kubernetes 1.33.2 → 1.34.1"],
      },
      base,
    ),
    "upgrade-proposed": upgradeMessage(
      {
        ...header,
        kind: "proposed",
        cluster: "mgmt",
        reason: "cluster mgmt: new kubernetes version available",
        changes: ["app1: Kubernetes 1.33.2 → 1.34.1"],
      },
      base,
    ),
    "upgrade-blocked": upgradeMessage(
      {
        ...header,
        kind: "blocked",
        cluster: "app1",
        reason: "pool system 1.33.2 → 1.34.1 (surge 33%): UpgradeFailed: Drain node aks-system-vmss000000 failed",
        gates: [
          {
            gate: "pdb-not-blocking",
            ok: false,
            summary: "1 PodDisruptionBudgets block drains",
            evidence: ["PodDisruptionBudget apps/payments allows 0 disruptions"],
          },
        ],
      },
      base,
    ),
    "upgrade-finished": upgradeMessage(
      {
        ...header,
        kind: "finished",
        outcome: "succeeded",
        lines: ["mgmt: Kubernetes 1.33.2 → 1.34.1"],
        severity: "info",
      },
      base,
    ),
  };
}

function driftSamples(): Record<string, NotifyMessage> {
  const nsg =
    "/subscriptions/s/resourceGroups/rg-k8s-demo-common/providers/Microsoft.Network/networkSecurityGroups/nsg-k8s-demo-app1";
  const drifted = buildDriftReport({
    environment: env,
    checkedAt: at,
    trigger: "event",
    checks: [
      {
        unit: "k8s-demo-network",
        result: {
          ok: true,
          changes: [
            {
              resourceId: nsg,
              changeType: "Modify",
              delta: [
                {
                  path: "properties.securityRules",
                  propertyChangeType: "Array",
                  children: [
                    { path: "2", propertyChangeType: "Delete", before: { name: "allow-ssh", properties: {} } },
                  ],
                },
              ],
            },
          ],
        },
      },
    ],
  });
  const clean = buildDriftReport({
    environment: env,
    checkedAt: at,
    trigger: "after-remediation",
    checks: [{ unit: "k8s-demo-network", result: { ok: true, changes: [] } }],
  });
  return {
    "drift-detected": driftDetectedMessage(drifted, { correlationId: "drift:k8s-demo:1", remediation: "report-only" }),
    "drift-remediated": driftRemediatedMessage(clean, {
      correlationId: "drift:k8s-demo:2",
      units: ["k8s-demo-network"],
      failures: [],
    }),
  };
}
