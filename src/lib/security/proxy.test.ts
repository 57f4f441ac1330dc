import { describe, expect, it } from "vitest";
import {
  forwardedHost,
  headerReader,
  isLoopbackAddress,
  MAX_HOPS,
  nodeAddress,
  normalizeAddress,
  parseForwarded,
  parseTrustProxy,
  resolveEdge,
  type TrustPolicy,
} from "./proxy.ts";

function policy(value: string): TrustPolicy {
  const parsed = parseTrustProxy(value);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.policy;
}

/** The edge of a request from `peer` with `headers`, under TRUST_PROXY=`trust`. */
const edgeOf = (trust: string, peer: string, headers: Record<string, string | string[]> = {}) =>
  resolveEdge(peer, headerReader(headers), policy(trust));

describe("parseTrustProxy", () => {
  it.each([undefined, "", "  ", "off", "OFF", "false", "no", "0"])("%j trusts nobody", (value) => {
    expect(parseTrustProxy(value)).toEqual({ ok: true, policy: { kind: "off" }, description: "ignored, no proxy is trusted" });
  });

  it("reads a hop count", () => {
    expect(parseTrustProxy("1")).toMatchObject({ ok: true, policy: { kind: "hops", hops: 1 } });
    expect(parseTrustProxy(" 2 ")).toMatchObject({ ok: true, policy: { kind: "hops", hops: 2 } });
    expect(parseTrustProxy(String(MAX_HOPS + 1))).toMatchObject({ ok: false });
  });

  it("reads addresses, ranges and names, and describes them", () => {
    const parsed = parseTrustProxy("loopback, 10.0.0.0/8,192.0.2.7, 2001:db8::/32");
    expect(parsed).toMatchObject({
      ok: true,
      description: "believed from proxies at loopback (127.0.0.0/8, ::1/128), 10.0.0.0/8, 192.0.2.7, 2001:db8::/32",
    });
    const { list } = (parsed as { policy: { list: import("node:net").BlockList } }).policy;
    expect(list.check("127.0.0.1", "ipv4")).toBe(true);
    expect(list.check("10.200.3.4", "ipv4")).toBe(true);
    expect(list.check("192.0.2.7", "ipv4")).toBe(true);
    expect(list.check("192.0.2.8", "ipv4")).toBe(false);
    expect(list.check("2001:db8:1::1", "ipv6")).toBe(true);
    expect(list.check("::1", "ipv6")).toBe(true);
    expect(list.check("11.0.0.1", "ipv4")).toBe(false);
  });

  it("names the private ranges as Express does", () => {
    const { list } = policy("uniquelocal,linklocal") as { list: import("node:net").BlockList };
    for (const inside of ["10.1.1.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.1.1"])
      expect(list.check(inside, "ipv4"), inside).toBe(true);
    for (const inside of ["fd12::1", "fe80::1"]) expect(list.check(inside, "ipv6"), inside).toBe(true);
    for (const outside of ["172.32.0.1", "8.8.8.8", "127.0.0.1"]) expect(list.check(outside, "ipv4"), outside).toBe(false);
  });

  it.each([
    ["on", "would believe anyone"],
    ["true", "would believe anyone"],
    ["*", "would believe anyone"],
    ["10.0.0.0/33", "is not an address"],
    ["10.0.0.0/8/8", "is not an address"],
    ["10.0.0.0/-1", "is not an address"],
    ["300.1.1.1", "is not an address"],
    ["proxy.example.org", "is not an address"],
    ["loopback,nonsense", '"nonsense" is not an address'],
    ["0.0.0.0/0", "trusts every address"],
    ["::/0", "trusts every address"],
  ])("refuses %j with a reason", (value, reason) => {
    const parsed = parseTrustProxy(value);
    expect(parsed.ok).toBe(false);
    expect((parsed as { reason: string }).reason).toContain(reason);
  });
});

describe("addresses", () => {
  it("spells every address one way", () => {
    expect(normalizeAddress("192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAddress("::FFFF:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAddress("0:0:0:0:0:ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAddress("::ffff:c000:201")).toBe("192.0.2.1");
    expect(normalizeAddress("2001:DB8::1")).toBe("2001:db8::1");
    expect(normalizeAddress("fe80::1%eth0")).toBe("fe80::1");
    expect(normalizeAddress("::1")).toBe("::1");
    expect(normalizeAddress("0:0:0:0:0:0:0:1")).toBe("::1");
    expect(normalizeAddress("2001:0db8:0000:0000:0001:0000:0000:0001")).toBe("2001:db8::1:0:0:1");
    expect(normalizeAddress("::")).toBe("::");
    expect(normalizeAddress("1:2:3:4:5:6:7:8")).toBe("1:2:3:4:5:6:7:8");
    expect(normalizeAddress("1:0:3:4:5:6:7:8")).toBe("1:0:3:4:5:6:7:8");
    // Not addresses: names, leading zeros, spaces inside, ranges.
    for (const text of ["", "localhost", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.4/8", "::ffff:999.1.1.1", "1.2.3.4 5"]) {
      expect(normalizeAddress(text), text).toBeNull();
    }
  });

  it("knows loopback in every spelling", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ["128.0.0.1", "::2", "::ffff:10.0.0.1", "localhost", undefined]) expect(isLoopbackAddress(a), String(a)).toBe(false);
  });

  it("reads the nodes proxies write, with or without a port", () => {
    expect(nodeAddress(" 192.0.2.1 ")).toBe("192.0.2.1");
    expect(nodeAddress("192.0.2.1:4711")).toBe("192.0.2.1");
    expect(nodeAddress("2001:db8::17")).toBe("2001:db8::17");
    expect(nodeAddress("[2001:db8::17]")).toBe("2001:db8::17");
    expect(nodeAddress("[2001:db8::17]:4711")).toBe("2001:db8::17");
    expect(nodeAddress("[::ffff:192.0.2.1]:80")).toBe("192.0.2.1");
    for (const node of ["unknown", "_hidden", "", "[192.0.2.1]", "192.0.2.1:", "[2001:db8::17", "example.org", "192.0.2.1:99999999"]) {
      expect(nodeAddress(node), node).toBeNull();
    }
  });

  it("accepts a forwarded host only when it is one", () => {
    expect(forwardedHost("Forum.Example.org")).toBe("forum.example.org");
    expect(forwardedHost("forum.example.org:8443")).toBe("forum.example.org:8443");
    expect(forwardedHost("127.0.0.1:8443")).toBe("127.0.0.1:8443");
    expect(forwardedHost("[2001:db8::1]:443")).toBe("[2001:db8::1]:443");
    for (const host of [
      "",
      "evil.example/path",
      "a b",
      "user@host",
      "host:99999",
      "[nonsense]",
      "-bad.example",
      "host:",
      "x".repeat(300),
    ]) {
      expect(forwardedHost(host), host).toBeNull();
    }
  });
});

describe("parseForwarded (RFC 7239)", () => {
  it("reads elements, quoted values, escapes and parameter names in any case", () => {
    expect(parseForwarded('for=192.0.2.43, for="[2001:db8:cafe::17]:4711";Proto=https;host="forum.example.org", for=unknown')).toEqual([
      { for: "192.0.2.43" },
      { for: "[2001:db8:cafe::17]:4711", proto: "https", host: "forum.example.org" },
      { for: "unknown" },
    ]);
    expect(parseForwarded('for="_a\\"b";by=_proxy')).toEqual([{ for: '_a"b', by: "_proxy" }]);
    expect(parseForwarded("for=192.0.2.1 ;proto=http , ,for=192.0.2.2")).toEqual([
      { for: "192.0.2.1", proto: "http" },
      { for: "192.0.2.2" },
    ]);
    // Extensions are allowed by the grammar and ignored.
    expect(parseForwarded("for=192.0.2.1;secret=x")).toEqual([{ for: "192.0.2.1" }]);
  });

  it.each([
    "",
    ",",
    "for",
    "for=",
    "for = 192.0.2.1",
    "for=2001:db8::1",
    'for="192.0.2.1',
    'for="192.0.2.1\\',
    "for=192.0.2.1;for=192.0.2.2",
    "for=192.0.2.1 proto=https",
    "for=\u0001",
    'for="a\u0000b"',
    "=x",
    "for=[2001:db8::1]",
  ])("refuses the malformed %j as a whole", (header) => {
    expect(parseForwarded(header)).toBeNull();
  });
});

describe("resolveEdge: nobody trusted (the default)", () => {
  it("takes the TCP peer, over http, whatever the headers say, and says a proxy was there", () => {
    const headers = {
      "x-forwarded-for": "198.51.100.7",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "evil.example",
      forwarded: "for=198.51.100.8;proto=https",
    };
    expect(edgeOf("", "127.0.0.1", headers)).toEqual({
      client: "127.0.0.1",
      peer: "127.0.0.1",
      protocol: "http",
      host: null,
      proxied: true,
    });
    expect(edgeOf("", "::ffff:127.0.0.1", {})).toEqual({
      client: "127.0.0.1",
      peer: "127.0.0.1",
      protocol: "http",
      host: null,
      proxied: false,
    });
    expect(edgeOf("", "192.0.2.9", { "x-real-ip": "1.1.1.1" }).proxied).toBe(true);
  });

  it("ignores a peer that is not on the list, even a neighbour", () => {
    expect(edgeOf("10.0.0.1", "10.0.0.2", { "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" })).toMatchObject({
      client: "10.0.0.2",
      protocol: "http",
      proxied: true,
    });
  });

  it("treats an unknown peer as untrusted", () => {
    expect(resolveEdge(undefined, headerReader({ "x-forwarded-for": "198.51.100.7" }), policy("1"))).toMatchObject({
      client: "unknown",
      peer: "unknown",
    });
  });
});

describe("resolveEdge: X-Forwarded-For from a trusted proxy", () => {
  it("believes the client, protocol and host the proxy gives", () => {
    expect(
      edgeOf("loopback", "127.0.0.1", {
        "x-forwarded-for": "198.51.100.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "Forum.example.org",
      }),
    ).toEqual({ client: "198.51.100.7", peer: "127.0.0.1", protocol: "https", host: "forum.example.org", proxied: true });
  });

  it("walks from the right: a spoofed leftmost entry never becomes the client", () => {
    // The client sent "X-Forwarded-For: 203.0.113.1"; nginx appended the address it saw.
    expect(edgeOf("loopback", "127.0.0.1", { "x-forwarded-for": "203.0.113.1, 198.51.100.7" }).client).toBe("198.51.100.7");
    expect(edgeOf("loopback", "127.0.0.1", { "x-forwarded-for": ["203.0.113.1", "198.51.100.7"] }).client).toBe("198.51.100.7");
    // A forged "127.0.0.1" on the left is still left of the real client.
    expect(edgeOf("loopback", "127.0.0.1", { "x-forwarded-for": "127.0.0.1, 198.51.100.7" }).client).toBe("198.51.100.7");
  });

  it("goes through every trusted hop, and stops at the first one it does not trust", () => {
    const headers = { "x-forwarded-for": "203.0.113.1, 198.51.100.7, 10.0.0.5, 10.0.0.4" };
    expect(edgeOf("loopback,10.0.0.0/8", "127.0.0.1", headers).client).toBe("198.51.100.7");
    expect(edgeOf("loopback,10.0.0.4", "127.0.0.1", headers).client).toBe("10.0.0.5");
    expect(edgeOf("loopback", "127.0.0.1", headers).client).toBe("10.0.0.4");
  });

  it("counts hops with a number, whoever they are", () => {
    const headers = { "x-forwarded-for": "203.0.113.1, 198.51.100.7, 192.0.2.20" };
    expect(edgeOf("1", "192.0.2.30", headers).client).toBe("192.0.2.20");
    expect(edgeOf("2", "192.0.2.30", headers).client).toBe("198.51.100.7");
    expect(edgeOf("3", "192.0.2.30", headers).client).toBe("203.0.113.1");
    // More hops trusted than there are entries: the farthest entry is all there is.
    expect(edgeOf("5", "192.0.2.30", headers).client).toBe("203.0.113.1");
  });

  it("takes the protocol of the farthest trusted hop when proxies append, or the one value when they overwrite", () => {
    const chain = { "x-forwarded-for": "198.51.100.7, 10.0.0.5", "x-forwarded-proto": "https, http" };
    expect(edgeOf("loopback,10.0.0.0/8", "127.0.0.1", chain).protocol).toBe("https");
    expect(edgeOf("loopback", "127.0.0.1", chain).protocol).toBe("http");
    expect(edgeOf("loopback,10.0.0.0/8", "127.0.0.1", { ...chain, "x-forwarded-proto": "https" }).protocol).toBe("https");
  });

  it("reads IPv6 and IPv4-mapped peers and entries", () => {
    expect(edgeOf("loopback", "::1", { "x-forwarded-for": "2001:db8::7" }).client).toBe("2001:db8::7");
    expect(edgeOf("loopback", "::ffff:127.0.0.1", { "x-forwarded-for": "::ffff:198.51.100.7" }).client).toBe("198.51.100.7");
    expect(edgeOf("2001:db8:ffff::/48", "2001:db8:ffff::2", { "x-forwarded-for": "[2001:db8::7]:51234" }).client).toBe("2001:db8::7");
    expect(edgeOf("10.0.0.0/8", "::ffff:10.1.2.3", { "x-forwarded-for": "198.51.100.7:4711" }).client).toBe("198.51.100.7");
  });

  it("stops at an entry that is no address, keeping the last trusted hop as the client", () => {
    for (const value of ["unknown", "garbage", "198.51.100.7, ", "198.51.100.7,, 10.0.0.5", "<script>"]) {
      const edge = edgeOf("loopback,10.0.0.0/8", "127.0.0.1", { "x-forwarded-for": value });
      expect(edge.client, value).toBe(value.includes("10.0.0.5") ? "10.0.0.5" : "127.0.0.1");
    }
  });

  it("walks at most MAX_HOPS hops: past that, the address reached is the client", () => {
    const chain = Array.from({ length: 40 }, (_, i) => `10.0.0.${i + 1}`);
    const edge = edgeOf("loopback,10.0.0.0/8", "127.0.0.1", { "x-forwarded-for": ["198.51.100.7", ...chain].join(", ") });
    expect(edge.client).toBe(chain[chain.length - MAX_HOPS]);
  });

  it("ignores a protocol other than http and https, and a host that is not one", () => {
    const edge = edgeOf("loopback", "127.0.0.1", {
      "x-forwarded-for": "198.51.100.7",
      "x-forwarded-proto": "javascript",
      "x-forwarded-host": "evil.example/login",
    });
    expect(edge).toMatchObject({ client: "198.51.100.7", protocol: "http", host: null });
  });

  it("with a trusted proxy that forwards nothing, the proxy is the client", () => {
    expect(edgeOf("loopback", "127.0.0.1", {})).toEqual({
      client: "127.0.0.1",
      peer: "127.0.0.1",
      protocol: "http",
      host: null,
      proxied: true,
    });
    expect(edgeOf("loopback", "127.0.0.1", { "x-forwarded-for": "" }).client).toBe("127.0.0.1");
    expect(edgeOf("loopback", "127.0.0.1", { "x-forwarded-proto": "https" })).toMatchObject({ client: "127.0.0.1", protocol: "https" });
  });
});

describe("resolveEdge: Forwarded (RFC 7239) from a trusted proxy", () => {
  it("takes the client, protocol and host of the element the farthest trusted proxy wrote", () => {
    expect(edgeOf("loopback", "127.0.0.1", { forwarded: 'for="[2001:db8::7]:4711";proto=https;host=forum.example.org' })).toEqual({
      client: "2001:db8::7",
      peer: "127.0.0.1",
      protocol: "https",
      host: "forum.example.org",
      proxied: true,
    });
    const chain = { forwarded: "for=203.0.113.1;proto=http, for=198.51.100.7;proto=https;host=forum.example.org, for=10.0.0.5;proto=http" };
    expect(edgeOf("loopback,10.0.0.0/8", "127.0.0.1", chain)).toMatchObject({
      client: "198.51.100.7",
      protocol: "https",
      host: "forum.example.org",
    });
    expect(edgeOf("loopback", "127.0.0.1", chain)).toMatchObject({ client: "10.0.0.5", protocol: "http", host: null });
  });

  it("never believes a malformed Forwarded, nor falls back to another header then", () => {
    for (const forwarded of ['for="198.51.100.7', "for=2001:db8::1", "for=1.2.3.4;for=5.6.7.8", ";;;,,,"]) {
      const edge = edgeOf("loopback", "127.0.0.1", { forwarded, "x-forwarded-for": "198.51.100.9", "x-forwarded-proto": "https" });
      expect(edge, forwarded).toEqual({ client: "127.0.0.1", peer: "127.0.0.1", protocol: "http", host: null, proxied: true });
    }
  });

  it("an obfuscated or unknown node ends the walk at the last trusted hop", () => {
    expect(edgeOf("loopback", "127.0.0.1", { forwarded: "for=_hidden;proto=https" })).toMatchObject({
      client: "127.0.0.1",
      protocol: "https",
    });
    expect(edgeOf("loopback", "127.0.0.1", { forwarded: "proto=https" })).toMatchObject({ client: "127.0.0.1", protocol: "https" });
  });

  it("believes both families only when they tell the same story", () => {
    const agree = { forwarded: "for=198.51.100.7;proto=https", "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" };
    expect(edgeOf("loopback", "127.0.0.1", agree)).toMatchObject({ client: "198.51.100.7", protocol: "https" });
    // nginx manages X-Forwarded-For; the client wrote a Forwarded header of its own.
    const forged = { forwarded: "for=203.0.113.1;proto=https", "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" };
    expect(edgeOf("loopback", "127.0.0.1", forged)).toEqual({
      client: "127.0.0.1",
      peer: "127.0.0.1",
      protocol: "http",
      host: null,
      proxied: true,
    });
    const otherProto = { forwarded: "for=198.51.100.7;proto=http", "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" };
    expect(edgeOf("loopback", "127.0.0.1", otherProto).protocol).toBe("http");
    expect(edgeOf("loopback", "127.0.0.1", otherProto).client).toBe("127.0.0.1");
  });
});
