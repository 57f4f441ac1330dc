import { describe, expect, it } from "vitest";
import { clientKey, createRateLimiter, parseLimit } from "./rate-limit.ts";

describe("rate limiter", () => {
  it("allows `limit` hits per window, then refuses with the time until the oldest expires", () => {
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000 });
    expect(limiter.hit("a", 0).allowed).toBe(true);
    expect(limiter.hit("a", 10_000).allowed).toBe(true);
    expect(limiter.hit("a", 20_000).allowed).toBe(true);
    expect(limiter.hit("a", 30_000)).toEqual({ allowed: false, retryAfterSeconds: 30 });
    expect(limiter.hit("b", 30_000).allowed).toBe(true);
    // The first hit leaves the window at 60 s.
    expect(limiter.hit("a", 60_001).allowed).toBe(true);
    expect(limiter.check("a", 60_002).allowed).toBe(false);
  });

  it("refused attempts are not counted", () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000 });
    limiter.hit("a", 0);
    for (let t = 1; t < 1000; t += 100) expect(limiter.hit("a", t).allowed).toBe(false);
    expect(limiter.hit("a", 1001).allowed).toBe(true);
  });

  it("keeps memory bounded", () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000, maxKeys: 2 });
    limiter.hit("a", 0);
    limiter.hit("b", 0);
    limiter.hit("c", 0);
    expect(limiter.check("a", 1).allowed).toBe(true);
    expect(limiter.check("c", 1).allowed).toBe(false);
  });

  it("parses limits", () => {
    expect(parseLimit("5/60", { limit: 1, windowMs: 1 })).toEqual({ limit: 5, windowMs: 60_000 });
    expect(parseLimit("x", { limit: 1, windowMs: 1 })).toEqual({ limit: 1, windowMs: 1 });
    expect(parseLimit(undefined, { limit: 2, windowMs: 3 })).toEqual({ limit: 2, windowMs: 3 });
  });
});

describe("client keys", () => {
  it("keeps IPv4 addresses and groups IPv6 ones by /64", () => {
    expect(clientKey("203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("2001:db8:1:3::1")).not.toBe(clientKey("2001:db8:1:2::1"));
  });
});
