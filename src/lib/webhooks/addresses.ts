import { isIP } from "node:net";

/**
 * Which network addresses a webhook may be sent to (SSRF): only public unicast ones, unless the
 * operator allows private targets (WEBHOOKS_ALLOW_PRIVATE=1, the tests and a closed network). The
 * ranges are IANA's special-purpose registries for IPv4 and IPv6; an IPv6 address that carries an
 * IPv4 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4) is judged by the IPv4 address it carries.
 */

/** Why an address is refused, or `public`. */
export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "shared" // 100.64.0.0/10, carrier-grade NAT
  | "multicast"
  | "unique-local"
  | "documentation"
  | "reserved"
  | "invalid";

type V4Range = [base: number, bits: number, cls: AddressClass];

const v4 = (dotted: string) => dotted.split(".").reduce((n, part) => n * 256 + Number(part), 0);

const V4_RANGES: readonly V4Range[] = (
  [
    ["0.0.0.0", 8, "unspecified"],
    ["10.0.0.0", 8, "private"],
    ["100.64.0.0", 10, "shared"],
    ["127.0.0.0", 8, "loopback"],
    ["169.254.0.0", 16, "link-local"],
    ["172.16.0.0", 12, "private"],
    ["192.0.0.0", 24, "reserved"],
    ["192.0.2.0", 24, "documentation"],
    ["192.88.99.0", 24, "reserved"],
    ["192.168.0.0", 16, "private"],
    ["198.18.0.0", 15, "reserved"],
    ["198.51.100.0", 24, "documentation"],
    ["203.0.113.0", 24, "documentation"],
    ["224.0.0.0", 4, "multicast"],
    ["240.0.0.0", 4, "reserved"],
  ] as const
).map(([base, bits, cls]) => [v4(base), bits, cls]);

/** The class of an IPv4 address given as a 32-bit number. */
function classifyV4Number(n: number): AddressClass {
  for (const [base, bits, cls] of V4_RANGES) {
    const size = 2 ** (32 - bits);
    if (n >= base && n < base + size) return cls;
  }
  return "public";
}

/** The 16 bytes of an IPv6 address (zone index dropped), or null when it is not one. */
export function ipv6Bytes(address: string): number[] | null {
  let text = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (isIP(text) !== 6) return null;
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const n = v4(quad[1]!);
    text = text.slice(0, -quad[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(":") : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...(tail === undefined ? [] : Array(missing).fill("0")), ...tailGroups];
  if (groups.length !== 8) return null;
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

const startsWith = (bytes: number[], prefix: readonly number[], bits: number) => {
  for (let bit = 0; bit < bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[byte]! & mask) !== (prefix[byte]! & mask)) return false;
  }
  return true;
};

const hex = (s: string) => ipv6Bytes(s)!;

const V6_RANGES: readonly [prefix: number[], bits: number, cls: AddressClass | "v4-last" | "v4-6to4"][] = [
  [hex("::"), 128, "unspecified"],
  [hex("::1"), 128, "loopback"],
  [hex("::ffff:0:0"), 96, "v4-last"], // IPv4-mapped
  [hex("::"), 96, "v4-last"], // IPv4-compatible (deprecated)
  [hex("64:ff9b::"), 96, "v4-last"], // NAT64, well-known prefix
  [hex("64:ff9b:1::"), 48, "private"], // NAT64, local use
  [hex("100::"), 64, "reserved"], // discard-only
  [hex("2001:db8::"), 32, "documentation"],
  [hex("2001::"), 23, "reserved"], // IETF protocol assignments, Teredo among them
  [hex("2002::"), 16, "v4-6to4"],
  [hex("3fff::"), 20, "documentation"],
  [hex("5f00::"), 16, "reserved"], // segment routing
  [hex("fc00::"), 7, "unique-local"],
  [hex("fe80::"), 10, "link-local"],
  [hex("fec0::"), 10, "private"], // site-local (deprecated)
  [hex("ff00::"), 8, "multicast"],
];

/** The class of an IP address (IPv4, or IPv6 in any spelling, with brackets or a zone or not). */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, "");
  if (isIP(bare) === 4) return classifyV4Number(v4(bare));
  const bytes = ipv6Bytes(bare);
  if (!bytes) return "invalid";
  for (const [prefix, bits, cls] of V6_RANGES) {
    if (!startsWith(bytes, prefix, bits)) continue;
    const embedded = cls === "v4-last" ? bytes.slice(12, 16) : cls === "v4-6to4" ? bytes.slice(2, 6) : undefined;
    if (!embedded) return cls as AddressClass;
    return classifyV4Number(embedded.reduce((n, b) => n * 256 + b, 0));
  }
  return "public";
}

/** Whether a webhook may be sent to `address`: a public one, or any when private targets are allowed. */
export function addressAllowed(address: string, allowPrivate: boolean): boolean {
  const cls = classifyAddress(address);
  if (cls === "invalid") return false;
  return allowPrivate || cls === "public";
}

/** Whether the operator allows private and loopback targets (WEBHOOKS_ALLOW_PRIVATE=1 or `true`). */
export function privateTargetsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WEBHOOKS_ALLOW_PRIVATE === "1" || env.WEBHOOKS_ALLOW_PRIVATE === "true";
}

/** Whether the operator allows plain `http://` endpoints (WEBHOOKS_ALLOW_HTTP=1); private targets allowed imply it. */
export function plainHttpAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WEBHOOKS_ALLOW_HTTP === "1" || env.WEBHOOKS_ALLOW_HTTP === "true" || privateTargetsAllowed(env);
}
