import { describe, expect, it } from "vitest";
import { defaultSpec, formatPath, parseCidr, validateSpec } from "../../lib/spec";
import type { PlatformSpec, SpecProblem } from "../../lib/spec";

/** Problems of the default spec after `mutate` changed a copy of it. */
function problemsAfter(mutate: (spec: PlatformSpec) => void): SpecProblem[] {
  const spec = structuredClone(defaultSpec);
  mutate(spec);
  const result = validateSpec(spec);
  return result.ok ? [] : result.problems;
}

/** Same, for edits that break the types (the raw object is what a user sends). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a user's document has no type
type Raw = any;
function problemsOfRaw(mutate: (spec: Raw) => void): SpecProblem[] {
  const spec: Raw = structuredClone(defaultSpec);
  mutate(spec);
  const result = validateSpec(spec);
  return result.ok ? [] : result.problems;
}

function expectProblem(problems: SpecProblem[], path: string, message: string | RegExp): void {
  const atPath = problems.filter((p) => p.path === path);
  expect(atPath, `no problem at ${path}; got ${JSON.stringify(problems, null, 1)}`).not.toHaveLength(0);
  const matches = atPath.some((p) => (typeof message === "string" ? p.message === message : message.test(p.message)));
  expect(matches, `problems at ${path}: ${JSON.stringify(atPath)}`).toBe(true);
}

describe("validateSpec: the seed", () => {
  it("accepts the default spec and returns it typed", () => {
    const result = validateSpec(defaultSpec);
    expect(result).toEqual({ ok: true, spec: defaultSpec });
  });

  it("refuses a document that is not an object", () => {
    expect(validateSpec([1, 2])).toEqual({
      ok: false,
      problems: [{ path: "(spec)", message: "The spec must be an object (a JSON or YAML mapping), not a list." }],
    });
  });
});

describe("validateSpec: type rules in the same shape", () => {
  it("names the JSON path and says what was expected", () => {
    const problems = problemsOfRaw((s) => {
      s.clusters[1].tier = "Gold";
      s.clusters[0].pools.system.count = "three";
      delete s.location;
      s.clusters[2].colour = "blue";
      s.shared.appInsights.retentionDays = 45;
      s.clusters[0].kubernetesVersion = "latest";
      s.clusters = [...s.clusters];
    });
    expectProblem(problems, "clusters[1].tier", 'Must be one of "Free", "Standard", "Premium" (got "Gold").');
    expectProblem(problems, "clusters[0].pools.system.count", 'Must be a number (got "three").');
    expectProblem(problems, "location", "Is required: expected a string.");
    expectProblem(
      problems,
      "clusters[2].colour",
      "Is not a field of the spec here (check the spelling and the nesting).",
    );
    expectProblem(
      problems,
      "shared.appInsights.retentionDays",
      "Must be one of 30, 60, 90, 120, 180, 270, 365, 550, 730 (got 45).",
    );
    expectProblem(
      problems,
      "clusters[0].kubernetesVersion",
      'Must be a version such as 1.33 or 1.33.2 (got "latest").',
    );
  });

  it("still runs the semantic rules on the sections that are well typed", () => {
    const problems = problemsOfRaw((s) => {
      s.clusters[0].tier = "Gold"; // type error in mgmt …
      s.clusters[1].network.vnetCidr = "10.1.0.0/16"; // … its VNet still counts for the overlap rule
      s.shared.appInsights.retentionDays = 45; // type error in shared …
      s.shared.containerRegistry.name = "acr-k8s"; // … the registry name is still checked
    });
    expectProblem(problems, "clusters[0].tier", /^Must be one of/);
    expectProblem(problems, "clusters[1].network.vnetCidr", /overlaps the VNet of cluster mgmt/);
    expectProblem(problems, "shared.containerRegistry.name", /must be globally unique/);
    // A cluster with a broken name hides nothing else, but the host-cluster reference is not judged blindly.
    expect(problems.some((p) => p.path === "access.hostCluster")).toBe(false);
  });

  it("reports every problem at once", () => {
    const problems = problemsAfter((s) => {
      s.shared.keyVault.name = "kv";
      s.shared.logAnalytics.totalRetentionDays = 10;
      s.clusters[2]!.network.dnsServiceIp = "10.0.0.10";
      s.access.hostCluster = "hub";
    });
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        "access.hostCluster",
        "clusters[2].network.dnsServiceIp",
        "shared.keyVault.name",
        "shared.logAnalytics.totalRetentionDays",
      ].sort(),
    );
  });
});

describe("validateSpec: address space", () => {
  it("parses IPv4 CIDRs and refuses host bits", () => {
    expect(parseCidr("10.1.0.0/16")).toEqual({
      text: "10.1.0.0/16",
      start: 10 * 2 ** 24 + 2 ** 16,
      end: 10 * 2 ** 24 + 2 * 2 ** 16 - 1,
      prefix: 16,
    });
    const problems = problemsAfter((s) => {
      s.clusters[0]!.network.vnetCidr = "10.1.0.0/33";
      s.clusters[1]!.network.podCidr = "100.66.0.1/16";
      s.clusters[2]!.network.serviceCidr = "fd00::/108";
      s.access.jumpbox.subnetCidr = "10.1.101.0";
    });
    expectProblem(problems, "clusters[0].network.vnetCidr", '"10.1.0.0/33" is not an IPv4 CIDR such as 10.1.0.0/16.');
    expectProblem(
      problems,
      "clusters[1].network.podCidr",
      "100.66.0.1/16 has host bits set; Azure expects the network address 100.66.0.0/16.",
    );
    expectProblem(problems, "clusters[2].network.serviceCidr", '"fd00::/108" is not an IPv4 CIDR such as 10.1.0.0/16.');
    expectProblem(problems, "access.jumpbox.subnetCidr", '"10.1.101.0" is not an IPv4 CIDR such as 10.1.0.0/16.');
  });

  it("refuses overlapping VNets across clusters", () => {
    const problems = problemsAfter((s) => {
      s.clusters[2]!.network.vnetCidr = "10.2.128.0/17";
      s.clusters[2]!.network.nodeSubnetCidr = "10.2.128.0/22";
    });
    expect(problems).toEqual([
      {
        path: "clusters[2].network.vnetCidr",
        message:
          "10.2.128.0/17 overlaps the VNet of cluster app1 (clusters[1].network.vnetCidr = 10.2.0.0/16); peered VNets need distinct address space.",
      },
    ]);
  });

  it("keeps the node subnet inside its VNet", () => {
    const problems = problemsAfter((s) => (s.clusters[1]!.network.nodeSubnetCidr = "10.3.0.0/22"));
    expectProblem(
      problems,
      "clusters[1].network.nodeSubnetCidr",
      "The node subnet 10.3.0.0/22 is not inside the cluster's VNet 10.2.0.0/16.",
    );
  });

  it("keeps Bastion and jump-VM subnets inside the host VNet and apart", () => {
    const outside = problemsAfter((s) => {
      s.access.bastion.subnetCidr = "10.2.100.0/26";
      s.access.jumpbox.subnetCidr = "10.1.0.0/24";
    });
    expectProblem(
      outside,
      "access.bastion.subnetCidr",
      "AzureBastionSubnet 10.2.100.0/26 is not inside the VNet 10.1.0.0/16 of the host cluster mgmt.",
    );
    expectProblem(
      outside,
      "access.jumpbox.subnetCidr",
      "The jump-VM subnet 10.1.0.0/24 overlaps the node subnet 10.1.0.0/22 of cluster mgmt.",
    );

    const together = problemsAfter((s) => (s.access.jumpbox.subnetCidr = "10.1.100.32/27"));
    expectProblem(
      together,
      "access.jumpbox.subnetCidr",
      "The jump-VM subnet 10.1.100.32/27 overlaps AzureBastionSubnet 10.1.100.0/26.",
    );

    const hostMoved = problemsAfter((s) => (s.access.hostCluster = "app1"));
    expectProblem(
      hostMoved,
      "access.bastion.subnetCidr",
      /not inside the VNet 10\.2\.0\.0\/16 of the host cluster app1/,
    );
  });

  it("needs AzureBastionSubnet of /26 or larger", () => {
    const problems = problemsAfter((s) => (s.access.bastion.subnetCidr = "10.1.100.0/27"));
    expect(problems).toEqual([
      {
        path: "access.bastion.subnetCidr",
        message: "AzureBastionSubnet 10.1.100.0/27 is too small: Azure Bastion needs a /26 or larger.",
      },
    ]);
    expect(problemsAfter((s) => (s.access.bastion.subnetCidr = "10.1.96.0/22"))).toEqual([]);
  });

  it("keeps pod and service CIDRs out of all VNet space and apart", () => {
    const problems = problemsAfter((s) => {
      s.clusters[0]!.network.podCidr = "10.3.0.0/16";
      s.clusters[1]!.network.serviceCidr = "10.2.0.0/16";
      s.clusters[1]!.network.dnsServiceIp = "10.2.0.10";
      s.clusters[2]!.network.serviceCidr = "100.67.0.0/16";
      s.clusters[2]!.network.dnsServiceIp = "100.67.0.10";
    });
    expectProblem(
      problems,
      "clusters[0].network.podCidr",
      "The pod CIDR 10.3.0.0/16 overlaps the VNet of cluster app2 (10.3.0.0/16); with Azure CNI Overlay it must be outside all VNet space (NET-5).",
    );
    expectProblem(
      problems,
      "clusters[1].network.serviceCidr",
      /^The service CIDR 10\.2\.0\.0\/16 overlaps the cluster's own VNet \(10\.2\.0\.0\/16\)/,
    );
    expectProblem(
      problems,
      "clusters[2].network.serviceCidr",
      "The service CIDR 100.67.0.0/16 overlaps the pod CIDR 100.67.0.0/16 of the same cluster.",
    );
  });

  it("keeps pod and service CIDRs out of ranges AKS reserves", () => {
    const problems = problemsAfter((s) => {
      s.clusters[0]!.network.serviceCidr = "172.30.0.0/16";
      s.clusters[0]!.network.dnsServiceIp = "172.30.0.10";
    });
    expect(problems).toEqual([
      {
        path: "clusters[0].network.serviceCidr",
        message: "The service CIDR 172.30.0.0/16 overlaps 172.30.0.0/16, which AKS reserves.",
      },
    ]);
  });

  it("puts the DNS service IP inside the service CIDR, not on its first addresses", () => {
    const outside = problemsAfter((s) => (s.clusters[0]!.network.dnsServiceIp = "172.17.0.10"));
    expect(outside).toEqual([
      {
        path: "clusters[0].network.dnsServiceIp",
        message: "The DNS service IP 172.17.0.10 is not inside the service CIDR 172.16.0.0/16.",
      },
    ]);
    for (const ip of ["172.16.0.0", "172.16.0.1"]) {
      const first = problemsAfter((s) => (s.clusters[0]!.network.dnsServiceIp = ip));
      expect(first).toEqual([
        {
          path: "clusters[0].network.dnsServiceIp",
          message: `The DNS service IP ${ip} is the network or first address of 172.16.0.0/16, which Kubernetes uses itself; pick another such as 172.16.0.10.`,
        },
      ]);
    }
    const garbage = problemsAfter((s) => (s.clusters[0]!.network.dnsServiceIp = "172.16.0.256"));
    expectProblem(
      garbage,
      "clusters[0].network.dnsServiceIp",
      '"172.16.0.256" is not an IPv4 address such as 172.16.0.10.',
    );
  });
});

describe("validateSpec: uniqueness and references", () => {
  it("needs unique cluster names, AKS names and VNet names", () => {
    const problems = problemsAfter((s) => {
      s.clusters[2]!.name = "app1";
      s.clusters[1]!.aksName = "AKS-K8S-DEMO-MGMT";
      s.clusters[2]!.network.vnetName = s.clusters[0]!.network.vnetName;
    });
    expectProblem(
      problems,
      "clusters[2].name",
      'Cluster name "app1" is already used by clusters[1].name; it must be unique.',
    );
    expectProblem(
      problems,
      "clusters[1].aksName",
      'AKS name "AKS-K8S-DEMO-MGMT" is already used by clusters[0].aksName; it must be unique.',
    );
    expectProblem(problems, "clusters[2].network.vnetName", /is already used by clusters\[0\]\.network\.vnetName/);
  });

  it("needs distinct resource groups, node resource groups included", () => {
    const problems = problemsAfter((s) => {
      s.clusters[1]!.resourceGroup = "rg-k8s-demo-common";
      s.clusters[2]!.nodeResourceGroup = "rg-k8s-demo-app2";
    });
    expectProblem(
      problems,
      "clusters[1].resourceGroup",
      'Resource group "rg-k8s-demo-common" is already used by commonResourceGroup; it must be unique.',
    );
    expectProblem(
      problems,
      "clusters[2].nodeResourceGroup",
      'Resource group "rg-k8s-demo-app2" is already used by clusters[2].resourceGroup; it must be unique.',
    );
  });

  it("needs access.hostCluster to name a cluster", () => {
    const problems = problemsAfter((s) => (s.access.hostCluster = "hub"));
    expect(problems).toEqual([
      {
        path: "access.hostCluster",
        message: 'No cluster is named "hub"; the host cluster must be one of mgmt, app1, app2.',
      },
    ]);
  });

  it("needs notification routes to name existing channels, and channel names to be unique", () => {
    const problems = problemsAfter((s) => {
      s.notifications.routes = [{ severities: ["critical"], channels: ["teams", "pager"] }];
      s.notifications.channels.push({ name: "slack", kind: "slack", webhookSetting: "AKS_PLATFORM_SLACK2" });
    });
    expectProblem(
      problems,
      "notifications.routes[0].channels[1]",
      'Route 0 names the channel "pager", which does not exist (defined channels: teams, slack).',
    );
    expectProblem(
      problems,
      "notifications.channels[2].name",
      'Channel name "slack" is already used by notifications.channels[1].name; it must be unique.',
    );
  });

  it("needs an IANA time zone for quiet hours", () => {
    const problems = problemsAfter(
      (s) => (s.notifications.quietHours = { start: "22:00", end: "07:00", timeZone: "Korea/Nowhere" }),
    );
    expect(problems).toEqual([
      {
        path: "notifications.quietHours.timeZone",
        message: '"Korea/Nowhere" is not an IANA time zone such as Asia/Seoul.',
      },
    ]);
    expect(
      problemsAfter((s) => (s.notifications.quietHours = { start: "22:00", end: "07:00", timeZone: "Asia/Seoul" })),
    ).toEqual([]);
  });
});

describe("validateSpec: options that depend on each other", () => {
  it("needs an ingress pool exactly where the Istio ingress gateway runs", () => {
    const missing = problemsAfter((s) => delete s.clusters[0]!.pools.ingress);
    expect(missing).toEqual([
      {
        path: "clusters[0].pools.ingress",
        message:
          "Cluster mgmt has addons.istioIngressGateway but no ingress pool; the gateway runs on its own pool (AKS-5).",
      },
    ]);
    const extra = problemsAfter((s) => (s.clusters[2]!.pools.ingress = { ...s.clusters[2]!.pools.system }));
    expect(extra).toEqual([
      {
        path: "clusters[2].pools.ingress",
        message:
          "Cluster app2 has an ingress pool but addons.istioIngressGateway is false; remove the pool or enable the gateway.",
      },
    ]);
  });

  it("needs the ingress gateway for Kiali", () => {
    const problems = problemsAfter((s) => (s.clusters[2]!.addons.kiali = true));
    expect(problems).toEqual([
      {
        path: "clusters[2].addons.kiali",
        message: "Kiali needs the Istio ingress gateway on cluster app2 (addons.istioIngressGateway).",
      },
    ]);
  });

  it("keeps pool zones within the cluster's zones", () => {
    const problems = problemsAfter((s) => (s.clusters[1]!.zones = ["1", "2"]));
    expectProblem(
      problems,
      "clusters[1].pools.system.zones",
      "Zone 3 of the system pool is not among the cluster's zones (1, 2).",
    );
    expectProblem(
      problems,
      "clusters[1].pools.spot.zones",
      "Zone 3 of the spot pool is not among the cluster's zones (1, 2).",
    );
  });

  it("needs geo-redundant backup storage for cross-region restore", () => {
    const problems = problemsAfter((s) => (s.shared.backupVault.crossRegionRestore = true));
    expect(problems).toEqual([
      {
        path: "shared.backupVault.crossRegionRestore",
        message: "Cross-region restore needs storageRedundancy GeoRedundant (it is ZoneRedundant).",
      },
    ]);
    expect(
      problemsAfter((s) =>
        Object.assign(s.shared.backupVault, { crossRegionRestore: true, storageRedundancy: "GeoRedundant" }),
      ),
    ).toEqual([]);
  });

  it("needs total Log Analytics retention at least the interactive retention", () => {
    const problems = problemsAfter((s) =>
      Object.assign(s.shared.logAnalytics, { interactiveRetentionDays: 90, totalRetentionDays: 60 }),
    );
    expect(problems).toEqual([
      {
        path: "shared.logAnalytics.totalRetentionDays",
        message:
          "Total retention (60 days) is shorter than interactive retention (90 days); it must be at least as long.",
      },
    ]);
  });
});

describe("validateSpec: Azure naming rules", () => {
  const cases: [string, (s: PlatformSpec) => void, string | RegExp][] = [
    [
      "commonResourceGroup",
      (s) => (s.commonResourceGroup = "rg-common."),
      /^Resource group name "rg-common\." is not valid: use 1–90 characters/,
    ],
    ["commonResourceGroup", (s) => (s.commonResourceGroup = "r".repeat(91)), /use 1–90 characters \(it has 91\)/],
    [
      "clusters[0].resourceGroup",
      (s) => (s.clusters[0]!.resourceGroup = "rg mgmt"),
      /^Resource group name "rg mgmt" is not valid/,
    ],
    [
      "clusters[0].nodeResourceGroup",
      (s) => (s.clusters[0]!.nodeResourceGroup = "n".repeat(81)),
      /^Node resource group name .* use 1–80 characters \(it has 81\)/,
    ],
    [
      "clusters[1].aksName",
      (s) => (s.clusters[1]!.aksName = "-aks-app1"),
      /^AKS cluster name "-aks-app1" is not valid: use 1–63 characters of letters, digits, underscores and hyphens/,
    ],
    ["clusters[1].aksName", (s) => (s.clusters[1]!.aksName = "a".repeat(64)), /\(it has 64\)/],
    [
      "clusters[2].network.vnetName",
      (s) => (s.clusters[2]!.network.vnetName = "v"),
      /^VNet name "v" is not valid: use 2–64 characters \(it has 1\)/,
    ],
    [
      "clusters[2].network.vnetName",
      (s) => (s.clusters[2]!.network.vnetName = "vnet-app2."),
      /^VNet name "vnet-app2\." is not valid/,
    ],
    [
      "shared.keyVault.name",
      (s) => (s.shared.keyVault.name = "kv--k8s-demo"),
      'Key Vault name "kv--k8s-demo" is not valid: use 3–24 characters of letters, digits and hyphens, starting with a letter, ending with a letter or digit, with no consecutive hyphens. Key Vault names must be globally unique across Azure, so choose one nobody else uses.',
    ],
    ["shared.keyVault.name", (s) => (s.shared.keyVault.name = "1kv-k8s"), /must be globally unique/],
    [
      "shared.keyVault.name",
      (s) => (s.shared.keyVault.name = "kv-k8s-demo-platform-0001"),
      /use 3–24 characters \(it has 25\).*must be globally unique/,
    ],
    [
      "shared.containerRegistry.name",
      (s) => (s.shared.containerRegistry.name = "acr-k8s-demo"),
      'Container registry name "acr-k8s-demo" is not valid: use 5–50 characters of letters and digits only. Container registry names must be globally unique across Azure, so choose one nobody else uses.',
    ],
    [
      "shared.containerRegistry.name",
      (s) => (s.shared.containerRegistry.name = "acr1"),
      /\(it has 4\).*must be globally unique/,
    ],
    [
      "access.jumpbox.vmName",
      (s) => (s.access.jumpbox.vmName = "vm_jumpbox"),
      /^VM name "vm_jumpbox" is not valid: use 1–64 characters of letters, digits, hyphens and periods/,
    ],
    ["access.jumpbox.vmName", (s) => (s.access.jumpbox.vmName = "12345"), /not only digits/],
    ["access.jumpbox.vmName", (s) => (s.access.jumpbox.vmName = "vm-jumpbox-"), /^VM name "vm-jumpbox-" is not valid/],
    [
      "access.jumpbox.adminUsername",
      (s) => (s.access.jumpbox.adminUsername = "admin"),
      'Azure does not allow "admin" as a VM admin user name; choose another such as azureuser.',
    ],
    [
      "access.bastion.name",
      (s) => (s.access.bastion.name = "bas-k8s-demo-"),
      /^Bastion name "bas-k8s-demo-" is not valid: use 1–80 characters/,
    ],
    [
      "shared.logAnalytics.name",
      (s) => (s.shared.logAnalytics.name = "log"),
      /^Log Analytics workspace name "log" is not valid: use 4–63 characters \(it has 3\)/,
    ],
    [
      "shared.appInsights.name",
      (s) => (s.shared.appInsights.name = "appi/k8s"),
      /^Application Insights name "appi\/k8s" is not valid/,
    ],
    [
      "shared.backupVault.name",
      (s) => (s.shared.backupVault.name = "1vault"),
      /^Backup vault name "1vault" is not valid: use 2–50 characters of letters, digits and hyphens, starting with a letter/,
    ],
    [
      "shared.dnsZone.name",
      (s) => (s.shared.dnsZone.name = "localhost"),
      'DNS zone name "localhost" needs at least two labels, such as example.com.',
    ],
    [
      "shared.dnsZone.name",
      (s) => (s.shared.dnsZone.name = "k8s-demo.-example.com"),
      'DNS zone name "k8s-demo.-example.com" has the label "-example"; labels are 1–63 letters, digits and hyphens, not starting or ending with a hyphen.',
    ],
    [
      "gitops.ingressHost",
      (s) => (s.gitops.ingressHost = "app.other.example.com"),
      "Ingress host app.other.example.com is not inside the DNS zone k8s-demo.example.com; the ACME DNS-01 challenge is answered in that zone.",
    ],
    [
      "gitops.ingressHost",
      (s) => (s.gitops.ingressHost = "app_1.k8s-demo.example.com"),
      /^Ingress host "app_1\.k8s-demo\.example\.com" has the label "app_1"/,
    ],
    [
      "clusters[2].name",
      (s) => (s.clusters[2]!.name = "common-app2"),
      'Cluster name "common-app2" must not start with "common-": that prefix names another cluster\'s add-on deployment.',
    ],
    [
      "gitops.path",
      (s) => (s.gitops.path = "gitops"),
      /^The GitOps tree's Kustomizations refer to their layers under templates\/gitops; keep the tree at that path/,
    ],
  ];
  it.each(cases)("%s: %s", (path, mutate, message) => {
    const problems = problemsAfter(mutate);
    expectProblem(problems, path, message);
    expect(problems).toHaveLength(1);
  });

  it("accepts names at the limits", () => {
    const problems = problemsAfter((s) => {
      s.shared.keyVault.name = "k-v";
      s.shared.containerRegistry.name = "A".repeat(50);
      s.clusters[0]!.aksName = "a".repeat(63);
      s.commonResourceGroup = "rg_(common).x";
      s.access.jumpbox.vmName = "jump.box-01";
    });
    expect(problems).toEqual([]);
  });
});

describe("validateSpec: tags", () => {
  it("follows Azure tag limits", () => {
    const problems = problemsAfter((s) => {
      s.tags = { "cost/center": "x", owner: "o".repeat(257) };
    });
    expect(problems).toEqual([
      {
        path: 'tags["cost/center"]',
        message: 'Tag name "cost/center" is not valid: use 1–512 characters without < > % & \\ ? /.',
      },
      { path: "tags.owner", message: "The value of tag owner is longer than 256 characters (it has 257)." },
    ]);
    const many = problemsAfter(
      (s) => (s.tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, "v"]))),
    );
    expect(many).toEqual([{ path: "tags", message: "Azure allows 50 tags per resource; the spec has 51." }]);
  });
});

describe("formatPath", () => {
  it("writes JSON paths with indexes and quotes odd keys", () => {
    expect(formatPath(["clusters", 1, "network", "vnetCidr"])).toBe("clusters[1].network.vnetCidr");
    expect(formatPath(["tags", "managed-by"])).toBe('tags["managed-by"]');
    expect(formatPath([])).toBe("(spec)");
  });
});
