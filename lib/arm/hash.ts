import { createHash } from "node:crypto";

/*
 * uniqueString() and guid() must match Azure bit for bit: resource names derived from them would otherwise differ
 * between an offline plan and a real deployment.
 *
 * uniqueString: Azure's MurmurHash64 variant (Microsoft.PowerPlatform.ResourceStack, used by
 * Azure.Deployments.Expression) over the UTF-8 bytes of the arguments joined with '-', rendered as the top 65 bits in
 * 13 base32 characters (alphabet a-z2-7). Constants and structure checked against two independent public ports:
 * EmmittJ Aspire.Hosting.Pulumi.Azure `ArmFunctions.cs` and the pure-bash `uniquestring.sh`; test vectors in
 * test/arm/hash.test.ts name their sources.
 *
 * guid: an RFC 4122 §4.3 name-based version-5 UUID (SHA-1) in the namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830 over
 * the UTF-8 arguments joined with '-' (same public ports; Microsoft's docs name RFC 4122 §4.3 as the algorithm).
 */

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const ARM_GUID_NAMESPACE = "11fb06fb-712d-4ddd-98c7-e71bbd588830";

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function fmix(h: number): number {
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function le32(data: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let b = n - 1; b >= 0; b--) v = (v << 8) | (data[i + b] as number);
  return v >>> 0;
}

const C1 = 597399067;
const C2 = 2869860233;

function murmurHash64(data: Uint8Array): bigint {
  const length = data.length;
  let h1 = 0;
  let h2 = 0;
  let i = 0;
  for (; i + 7 < length; i += 8) {
    let k1 = le32(data, i, 4);
    let k2 = le32(data, i + 4, 4);
    k1 = Math.imul(rotl(Math.imul(k1, C1) >>> 0, 15), C2) >>> 0;
    h1 = rotl((h1 ^ k1) >>> 0, 19);
    h1 = (h1 + h2) >>> 0;
    h1 = (Math.imul(h1, 5) + 1444728091) >>> 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2) >>> 0, 17), C1) >>> 0;
    h2 = rotl((h2 ^ k2) >>> 0, 13);
    h2 = (h2 + h1) >>> 0;
    h2 = (Math.imul(h2, 5) + 197830471) >>> 0;
  }
  const tail = length - i;
  if (tail > 0) {
    const k1 = Math.imul(rotl(Math.imul(le32(data, i, Math.min(tail, 4)), C1) >>> 0, 15), C2) >>> 0;
    h1 = (h1 ^ k1) >>> 0;
    if (tail > 4) {
      const k2 = Math.imul(rotl(Math.imul(le32(data, i + 4, tail - 4), C2) >>> 0, 17), C1) >>> 0;
      h2 = (h2 ^ k2) >>> 0;
    }
  }
  h1 = (h1 ^ length) >>> 0;
  h2 = (h2 ^ length) >>> 0;
  h1 = (h1 + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  return (BigInt(h2) << 32n) | BigInt(h1);
}

export function uniqueString(values: readonly string[]): string {
  let h = murmurHash64(Buffer.from(values.join("-"), "utf8"));
  let out = "";
  for (let i = 0; i < 13; i++) {
    out += BASE32[Number((h >> 59n) & 31n)];
    h = (h << 5n) & 0xffffffffffffffffn;
  }
  return out;
}

/** RFC 4122 §4.3 version-5 UUID of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(Buffer.from(name, "utf8")).digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function armGuid(values: readonly string[]): string {
  return uuidV5(ARM_GUID_NAMESPACE, values.join("-"));
}
