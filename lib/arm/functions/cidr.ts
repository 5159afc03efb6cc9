import { ArmExpressionError } from "../errors";
import { expectInt, expectString } from "../values";
import { fn } from "./define";

interface Network {
  v6: boolean;
  bits: number;
  address: bigint;
  prefix: number;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseV6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function parseNetwork(fn: string, cidr: string): Network {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  const v6 = m ? (m[1] as string).includes(":") : false;
  const address = m ? (v6 ? parseV6(m[1] as string) : parseV4(m[1] as string)) : undefined;
  const bits = v6 ? 128 : 32;
  const prefix = m ? Number(m[2]) : NaN;
  if (address === undefined || !(prefix >= 0 && prefix <= bits)) {
    throw new ArmExpressionError(`${fn}() argument '${cidr}' is not an IP range in CIDR notation`);
  }
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { v6, bits, address: address & mask, prefix };
}

function formatAddress(value: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

function sizeOf(net: Network): bigint {
  return 1n << BigInt(net.bits - net.prefix);
}

export const cidrFunctions = [
  fn("parseCidr", 1, 1, ([v]) => {
    const net = parseNetwork("parseCidr", expectString("parseCidr", v, 1));
    const last = net.address + sizeOf(net) - 1n;
    const full = (1n << BigInt(net.bits)) - 1n;
    const netmask = full ^ ((1n << BigInt(net.bits - net.prefix)) - 1n);
    if (net.v6) {
      return {
        network: formatAddress(net.address, true),
        netmask: formatAddress(netmask, true),
        firstUsable: formatAddress(net.address, true),
        lastUsable: formatAddress(last, true),
        cidr: net.prefix,
      };
    }
    // /31 and /32 have no network/broadcast addresses to skip.
    const small = net.prefix >= 31;
    return {
      network: formatAddress(net.address, false),
      netmask: formatAddress(netmask, false),
      broadcast: formatAddress(last, false),
      firstUsable: formatAddress(small ? net.address : net.address + 1n, false),
      lastUsable: formatAddress(small ? last : last - 1n, false),
      cidr: net.prefix,
    };
  }),
  fn("cidrSubnet", 3, 3, ([v, c, i]) => {
    const net = parseNetwork("cidrSubnet", expectString("cidrSubnet", v, 1));
    const newPrefix = expectInt("cidrSubnet", c, 2);
    const index = expectInt("cidrSubnet", i, 3);
    if (newPrefix < net.prefix || newPrefix > net.bits) {
      throw new ArmExpressionError(`cidrSubnet() new CIDR ${newPrefix} must be between ${net.prefix} and ${net.bits}`);
    }
    const count = 1n << BigInt(newPrefix - net.prefix);
    if (index < 0 || BigInt(index) >= count) {
      throw new ArmExpressionError(`cidrSubnet() index ${index} is out of range: ${count} /${newPrefix} subnets fit`);
    }
    const start = net.address + BigInt(index) * (1n << BigInt(net.bits - newPrefix));
    return `${formatAddress(start, net.v6)}/${newPrefix}`;
  }),
  fn("cidrHost", 2, 2, ([v, i]) => {
    const net = parseNetwork("cidrHost", expectString("cidrHost", v, 1));
    const index = expectInt("cidrHost", i, 2);
    // Index 0 is the first usable address: the network address is skipped, and for IPv4 the broadcast too.
    const usable = sizeOf(net) - (net.v6 ? 1n : 2n);
    if (index < 0 || BigInt(index) >= usable) {
      throw new ArmExpressionError(`cidrHost() index ${index} is out of range for ${String(v)}`);
    }
    return formatAddress(net.address + 1n + BigInt(index), net.v6);
  }),
];
