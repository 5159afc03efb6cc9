import forge from "node-forge";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";

/** A self-signed certificate generated in the test (node-forge), valid from `notBefore` to `notAfter`. */
export function makeCertificatePem(options: { cn: string; notBefore: Date; notAfter: Date; serial?: string }): string {
  const keys = forge.pki.rsa.generateKeyPair(1024);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = options.serial ?? "0a1b2c3d";
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = options.notAfter;
  const attrs = [{ name: "commonName", value: options.cn }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export const SUBSCRIPTION = "00000000-0000-4000-8000-000000000001";
export const spec = defaultSpec;

/** A Health Resources ResourceAnnotated (VirtualMachinePreempted) event for a NAP Spot VM of `cluster` (of `of`). */
export function evictionEvent(
  cluster: string,
  vm: string,
  occurredAt: string,
  id = `${cluster}-${vm}-${occurredAt}`,
  of: { spec: PlatformSpec; subscription: string } = { spec, subscription: SUBSCRIPTION },
) {
  const c = of.spec.clusters.find((x) => x.name === cluster);
  if (!c) throw new Error(`no cluster ${cluster} in spec ${of.spec.name}`);
  const target = `/subscriptions/${of.subscription}/resourceGroups/${c.nodeResourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm}`;
  return {
    id,
    eventType: "Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated",
    subject: target,
    eventTime: occurredAt,
    dataVersion: "1",
    metadataVersion: "1",
    topic: `/subscriptions/${of.subscription}`,
    data: {
      resourceInfo: {
        id: `${target}/providers/Microsoft.ResourceHealth/resourceAnnotations/current`,
        properties: {
          targetResourceId: target,
          targetResourceType: "Microsoft.Compute/virtualMachines",
          occurredTime: occurredAt,
          annotationName: "VirtualMachinePreempted",
          reason: "Spot eviction",
          category: "Unplanned",
        },
      },
      operationalInfo: { resourceEventTime: occurredAt },
    },
  };
}

/** An AKS NodePoolRollingStarted event of `cluster`. */
export function lifecycleEvent(cluster: string, id: string) {
  const c = spec.clusters.find((x) => x.name === cluster);
  if (!c) throw new Error(`no cluster ${cluster} in the default spec`);
  return {
    id,
    eventType: "Microsoft.ContainerService.NodePoolRollingStarted",
    subject: c.aksName,
    eventTime: "2026-11-24T05:00:00Z",
    dataVersion: "1",
    metadataVersion: "1",
    topic: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.aksName}`,
    data: { nodePoolName: "system" },
  };
}
