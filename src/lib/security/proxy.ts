import { BlockList, isIPv4, isIPv6 } from "node:net";

/**
 * Which reverse proxies are believed (TRUST_PROXY), and what a request's forwarding headers say once
 * they are: the client's address, the protocol and the host it used. Nothing here is believed from
 * a hop that is not trusted; a malformed header is ignored, never thrown (docs/decisions/0017).
 */

/** Who may tell us about the client: nobody, the nearest `hops` hops, or hops whose address is listed. */
export type TrustPolicy = { kind: "off" } | { kind: "hops"; hops: number } | { kind: "addresses"; list: BlockList };

/** The named ranges TRUST_PROXY accepts, as in Express's `trust proxy`. */
export const NAMED_RANGES: Record<string, readonly string[]> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

/** At most this many hops are walked; beyond it the address reached is taken as the client's. */
export const MAX_HOPS = 16;

const OFF = new Set(["", "off", "false", "no", "0"]);
const OFF_DESCRIPTION = "ignored, no proxy is trusted";

/**
 * Parses TRUST_PROXY: unset, empty or `off` trusts nobody; a number N trusts the N nearest hops
 * whoever they are; otherwise a comma-separated list of addresses, CIDR ranges and the names
 * `loopback`, `linklocal`, `uniquelocal`. Returns what it understood, described for the start-up log.
 */
export function parseTrustProxy(
  value: string | undefined,
): { ok: true; policy: TrustPolicy; description: string } | { ok: false; reason: string } {
  const text = (value ?? "").trim();
  if (OFF.has(text.toLowerCase())) return { ok: true, policy: { kind: "off" }, description: OFF_DESCRIPTION };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) return { ok: false, reason: `a hop count of ${hops} is more than ${MAX_HOPS}.` };
    return {
      ok: true,
      policy: { kind: "hops", hops },
      description: `believed from the nearest ${hops === 1 ? "hop" : `${hops} hops`}, whatever ${hops === 1 ? "its address" : "their addresses"}`,
    };
  }
  if (/^(on|true|yes|all|\*)$/i.test(text)) {
    return {
      ok: false,
      reason: `"${text}" would believe anyone: name the proxy's addresses (e.g. loopback, 10.0.0.0/8) or give the number of proxies in front (e.g. 1).`,
    };
  }
  const list = new BlockList();
  const ranges: string[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (!item) continue;
    const named = NAMED_RANGES[item.toLowerCase()];
    const cidrs = named ?? [item];
    for (const cidr of cidrs) {
      const range = parseRange(cidr);
      if (!range.ok) return { ok: false, reason: range.reason };
      list.addSubnet(range.network, range.prefix, range.family);
    }
    ranges.push(named ? `${item.toLowerCase()} (${named.join(", ")})` : item);
  }
  if (!ranges.length) return { ok: true, policy: { kind: "off" }, description: OFF_DESCRIPTION };
  return { ok: true, policy: { kind: "addresses", list }, description: `believed from proxies at ${ranges.join(", ")}` };
}

function parseRange(text: string): { ok: true; network: string; prefix: number; family: "ipv4" | "ipv6" } | { ok: false; reason: string } {
  const [address, prefixText, extra] = text.split("/");
  const invalid = {
    ok: false as const,
    reason: `"${text}" is not an address, a CIDR range (10.0.0.0/8, fd00::/8), a hop count or one of ${Object.keys(NAMED_RANGES).join(", ")}.`,
  };
  const normalized = normalizeAddress(address);
  if (!normalized || extra !== undefined) return invalid;
  const family = isIPv4(normalized) ? "ipv4" : "ipv6";
  const bits = family === "ipv4" ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return invalid;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return invalid;
  if (prefix === 0) {
    return {
      ok: false,
      reason: `"${text}" trusts every address, so anyone could forge a client address: name the proxies, or give a hop count.`,
    };
  }
  return { ok: true, network: normalized, prefix, family };
}

/**
 * An IP address literal in one spelling: IPv4-mapped IPv6 (`::ffff:192.0.2.1`) as IPv4, IPv6 in
 * lower case without a zone (`%eth0`). Null for anything that is not an address.
 */
export function normalizeAddress(text: string | undefined): string | null {
  if (!text) return null;
  const plain = text.trim();
  if (isIPv4(plain)) return plain;
  const v6 = plain.replace(/%[0-9A-Za-z._~-]+$/, "").toLowerCase();
  if (!isIPv6(v6)) return null;
  const groups = ipv6Groups(v6);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join(".");
  }
  return canonicalIPv6(groups);
}

/** RFC 5952 text of eight groups: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function canonicalIPv6(groups: number[]): string {
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 read as two groups). */
function ipv6Groups(v6: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(v6);
  const text = dotted
    ? v6.slice(0, dotted.index) + [((+dotted[1] << 8) | +dotted[2]).toString(16), ((+dotted[3] << 8) | +dotted[4]).toString(16)].join(":")
    : v6;
  const [head, tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16));
}

/** True when `address` is on the loopback range (127.0.0.0/8, ::1), whatever its spelling. */
export function isLoopbackAddress(address: string | undefined): boolean {
  const normalized = normalizeAddress(address);
  if (!normalized) return false;
  return isIPv4(normalized) ? normalized.startsWith("127.") : normalized === "::1";
}

/**
 * A node of X-Forwarded-For (`192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`) or
 * of Forwarded's `for=` (the same, IPv6 always in brackets): its address, or null (`unknown`, an
 * obfuscated `_name`, anything else).
 */
export function nodeAddress(node: string): string | null {
  const text = node.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return isIPv6(bracketed[1].replace(/%.*$/, "")) ? normalizeAddress(bracketed[1]) : null;
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  if (withPort) return normalizeAddress(withPort[1]);
  return normalizeAddress(text);
}

/** One hop of a Forwarded header (RFC 7239): the parameters one proxy added. */
export interface ForwardedElement {
  for?: string;
  by?: string;
  host?: string;
  proto?: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const PARAMETERS = new Set(["for", "by", "host", "proto"]);

/**
 * Parses a Forwarded header (RFC 7239, section 4) into its elements, left to right. Null when the
 * header is malformed anywhere (a bad token, an unterminated quote, a parameter given twice in one
 * element, an empty header), so that a half-understood header is never believed in part.
 */
export function parseForwarded(header: string): ForwardedElement[] | null {
  const elements: ForwardedElement[] = [];
  let element: Record<string, string> = {};
  let pairs = 0;
  let i = 0;
  const skipSpace = () => {
    while (header[i] === " " || header[i] === "\t") i++;
  };
  const finishElement = () => {
    if (pairs > 0) elements.push(element);
    element = {};
    pairs = 0;
  };
  skipSpace();
  while (i < header.length) {
    if (header[i] === ",") {
      finishElement();
      i++;
      skipSpace();
      continue;
    }
    if (header[i] === ";") {
      i++;
      skipSpace();
      continue;
    }
    const name = TOKEN.exec(header.slice(i))?.[0];
    if (!name) return null;
    i += name.length;
    if (header[i] !== "=") return null;
    i++;
    let value: string;
    if (header[i] === '"') {
      i++;
      value = "";
      for (;;) {
        if (i >= header.length) return null;
        const c = header[i];
        if (c === '"') break;
        if (c === "\\") {
          i++;
          if (i >= header.length) return null;
        } else if ((c < " " && c !== "\t") || c === "\x7f") return null;
        value += header[i];
        i++;
      }
      i++;
    } else {
      const token = TOKEN.exec(header.slice(i))?.[0];
      if (!token) return null;
      value = token;
      i += token.length;
    }
    const key = name.toLowerCase();
    if (Object.hasOwn(element, key)) return null;
    element[key] = value;
    pairs++;
    skipSpace();
    if (i < header.length && header[i] !== ";" && header[i] !== ",") return null;
  }
  finishElement();
  if (!elements.length) return null;
  return elements.map((e) => Object.fromEntries(Object.entries(e).filter(([k]) => PARAMETERS.has(k))) as ForwardedElement);
}

/** A host as a proxy may forward it: a name or address with an optional port; null when it is anything else. */
export function forwardedHost(value: string | undefined): string | null {
  const host = value?.trim();
  if (!host || host.length > 255) return null;
  const match =
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[([0-9A-Fa-f:.]+)\])(?::(\d{1,5}))?$/.exec(
      host,
    );
  if (!match) return null;
  if (match[1] !== undefined && !isIPv6(match[1])) return null;
  if (match[2] !== undefined && Number(match[2]) > 65535) return null;
  return host.toLowerCase();
}

const forwardedProto = (value: string | undefined): "http" | "https" | undefined => {
  const proto = value?.trim().toLowerCase();
  return proto === "http" || proto === "https" ? proto : undefined;
};

/** Every request header that carries forwarding information; the edge consumes them all. */
export const FORWARDING_HEADERS = [
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-server",
  "x-real-ip",
] as const;

/** What the edge makes of a request: who the client is and how it reached us. */
export interface Edge {
  /** The client's address: the first hop not trusted, walking from us (the TCP peer when nobody is trusted). */
  client: string;
  /** The TCP peer (the proxy, behind one). */
  peer: string;
  /** The protocol the client used, as a trusted proxy said; `http` when none did. */
  protocol: "http" | "https";
  /** The host the client asked for, when a trusted proxy said so (else the Host header stands). */
  host: string | null;
  /** True when the request came through a proxy, trusted or not (any forwarding header, or a trusted peer). */
  proxied: boolean;
}

type HeaderOf = (name: string) => string | undefined;

/** A header of a Node request or a fetch `Headers`, repeated values joined by commas as HTTP allows. */
export function headerReader(headers: Record<string, string | string[] | undefined> | Headers): HeaderOf {
  if (headers instanceof Headers) return (name) => headers.get(name) ?? undefined;
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  };
}

interface Hop {
  address: string | null;
  proto?: "http" | "https";
  host?: string | null;
}

interface Story {
  client: string;
  protocol?: "http" | "https";
  host?: string | null;
}

/** True when `policy` trusts the TCP peer `address` as a proxy. */
export function trustsPeer(policy: TrustPolicy, address: string | undefined): boolean {
  const peer = normalizeAddress(address);
  return peer !== null && trusts(policy, peer, 0);
}

function trusts(policy: TrustPolicy, address: string, index: number): boolean {
  if (policy.kind === "off") return false;
  if (policy.kind === "hops") return index < policy.hops;
  return policy.list.check(address, isIPv4(address) ? "ipv4" : "ipv6");
}

/**
 * Walks `hops` (as written, left to right: the farthest first) from the right, starting at the
 * trusted peer: each trusted address hands over to the entry on its left; the first one that is
 * not trusted is the client. An entry that is no address (`unknown`) ends the walk at the last
 * trusted hop. Returns the client and how many entries (from the right) were written by trusted hops.
 */
function walk(peer: string, hops: readonly Hop[], policy: TrustPolicy): { client: string; examined: number } {
  let client = peer;
  let examined = 0;
  for (let i = hops.length - 1, index = 1; i >= 0; i--, index++) {
    examined++;
    const address = hops[i].address;
    if (address === null) break;
    client = address;
    if (index >= MAX_HOPS || !trusts(policy, address, index)) break;
  }
  return { client, examined };
}

/** The X-Forwarded-For family's story, or null when the request carries none of it. */
function xForwardedStory(peer: string, header: HeaderOf, policy: TrustPolicy): Story | null {
  const forwardedFor = header("x-forwarded-for");
  const proto = header("x-forwarded-proto");
  const host = header("x-forwarded-host");
  if (forwardedFor === undefined && proto === undefined && host === undefined) return null;
  const hops: Hop[] = forwardedFor?.trim() ? forwardedFor.split(",").map((entry) => ({ address: nodeAddress(entry) })) : [];
  const { client, examined } = forwardedFor === undefined ? { client: peer, examined: 0 } : walk(peer, hops, policy);
  // Proxies that append to X-Forwarded-Proto/Host line up with X-Forwarded-For from the right; one
  // that overwrites leaves a single value. Either way: the value of the farthest trusted hop.
  const pick = (list: string | undefined) => {
    if (list === undefined) return undefined;
    const values = list.split(",");
    return values[Math.max(0, values.length - Math.max(1, examined))];
  };
  return { client, protocol: forwardedProto(pick(proto)), host: host === undefined ? undefined : forwardedHost(pick(host)) };
}

/** The Forwarded header's story; null when absent, "malformed" when it cannot be read. */
function forwardedStory(peer: string, header: HeaderOf, policy: TrustPolicy): Story | null | "malformed" {
  const value = header("forwarded");
  if (value === undefined) return null;
  const elements = parseForwarded(value);
  if (!elements) return "malformed";
  const hops: Hop[] = elements.map((e) => ({
    address: e.for === undefined ? null : nodeAddress(e.for),
    proto: forwardedProto(e.proto),
    host: e.host === undefined ? undefined : forwardedHost(e.host),
  }));
  const { client, examined } = walk(peer, hops, policy);
  // Each proxy describes the request it received: the farthest trusted one knows what the client used.
  const trusted = hops.slice(hops.length - examined);
  return {
    client,
    protocol: trusted.find((h) => h.proto)?.proto,
    host: trusted.find((h) => h.host !== undefined)?.host,
  };
}

/**
 * What a request tells about its client, believed only as far as `policy` trusts its hops. With no
 * trusted peer every forwarding header is ignored (the TCP peer is the client, over http). With
 * both families (X-Forwarded-* and Forwarded) present, they must tell the same story, else neither
 * is believed: a proxy manages one of them and passes the other on as the client wrote it.
 */
export function resolveEdge(peerAddress: string | undefined, header: HeaderOf, policy: TrustPolicy): Edge {
  const peer = normalizeAddress(peerAddress) ?? peerAddress ?? "unknown";
  const forwarding = FORWARDING_HEADERS.some((name) => header(name) !== undefined);
  const direct: Edge = { client: peer, peer, protocol: "http", host: null, proxied: forwarding };
  if (!trustsPeer(policy, peerAddress)) return direct;

  const unbelieved: Edge = { ...direct, proxied: true };
  const x = xForwardedStory(peer, header, policy);
  const rfc = forwardedStory(peer, header, policy);
  if (rfc === "malformed") return unbelieved;
  if (x && rfc) {
    const differ = <T>(a: T | undefined, b: T | undefined) => a !== undefined && b !== undefined && a !== b;
    if (x.client !== rfc.client || differ(x.protocol, rfc.protocol) || differ(x.host, rfc.host)) return unbelieved;
  }
  const story = rfc ?? x;
  if (!story) return unbelieved;
  return {
    client: story.client,
    peer,
    protocol: story.protocol ?? x?.protocol ?? "http",
    host: story.host ?? x?.host ?? null,
    proxied: true,
  };
}
