import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { isLoopback, methodLabel, metricsAccess, statusClass } from "./metrics.ts";

function req(remoteAddress: string, headers: Record<string, string> = {}) {
  const socket = { remoteAddress } as Socket;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { socket, headers: lower, rawHeaders: Object.entries(headers).flat() };
}

describe("metrics access", () => {
  it("answers loopback peers that came directly", () => {
    for (const address of ["127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1"]) expect(metricsAccess(req(address), undefined)).toBe(200);
  });

  it("refuses other peers, and loopback ones a proxy forwarded", () => {
    expect(metricsAccess(req("203.0.113.7"), undefined)).toBe(403);
    expect(metricsAccess(req("10.0.0.2"), undefined)).toBe(403);
    for (const header of ["X-Forwarded-For", "x-forwarded-proto", "Forwarded", "Via", "X-Real-IP", "CF-Connecting-IP"])
      expect(metricsAccess(req("127.0.0.1", { [header]: "x" }), undefined)).toBe(403);
  });

  it("answers the right bearer token from anywhere, 401 to any other authorization", () => {
    expect(metricsAccess(req("203.0.113.7", { Authorization: "Bearer s3cret-token", "X-Forwarded-For": "1.2.3.4" }), "s3cret-token")).toBe(
      200,
    );
    expect(metricsAccess(req("203.0.113.7", { Authorization: "Bearer s3cret-tokeN" }), "s3cret-token")).toBe(401);
    expect(metricsAccess(req("127.0.0.1", { Authorization: "Bearer anything" }), undefined)).toBe(401);
    expect(metricsAccess(req("127.0.0.1", { Authorization: "Basic czNjcmV0" }), "s3cret-token")).toBe(401);
  });

  it("knows loopback addresses", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("128.0.0.1")).toBe(false);
    expect(isLoopback("::2")).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});

describe("labels", () => {
  it("keeps label values few", () => {
    expect(methodLabel("GET")).toBe("GET");
    expect(methodLabel("BREW")).toBe("OTHER");
    expect(methodLabel(undefined)).toBe("OTHER");
    expect([200, 304, 404, 503, 499, 42].map(statusClass)).toEqual(["2xx", "3xx", "4xx", "5xx", "4xx", "other"]);
  });
});
