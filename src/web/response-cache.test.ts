import { describe, expect, it } from "vitest";
import { buildEntry, ByteLru, cacheTarget, hasSessionCookie, isPublicRoute } from "./response-cache.ts";

const offer = (text: string, type = "text/html") => ({
  headers: new Headers({ "Content-Type": type, Vary: "Cookie" }),
  body: new TextEncoder().encode(text),
  etag: '"e"',
});

describe("cacheTarget", () => {
  it("keeps paths and the programme's filters as given, and refuses everything else", () => {
    expect(cacheTarget("/programme")).toBe("/programme");
    expect(cacheTarget("/programme?view=list&day=2013-07-02")).toBe("/programme?view=list&day=2013-07-02");
    expect(cacheTarget("/fr/programme?track=cyber")).toBe("/fr/programme?track=cyber");
    for (const url of [
      "/programme?",
      "/programme?q=keynote",
      "/programme?day=a&day=b",
      "/programme?day=",
      "/programme?utm_source=x",
      "/programme?day=%3Cscript%3E",
      "/programme?day=a+b",
      "/sessions/%2e%2e",
      "//evil.example/",
      "/_actions/toggleStar",
      `/${"a".repeat(300)}`,
    ])
      expect(cacheTarget(url), url).toBeNull();
  });
});

describe("hasSessionCookie", () => {
  it("sees the session cookie only when it has a value", () => {
    expect(hasSessionCookie("forum_session=abc")).toBe(true);
    expect(hasSessionCookie("theme=dark; forum_session=abc")).toBe(true);
    expect(hasSessionCookie("forum_session=")).toBe(false);
    expect(hasSessionCookie("forum_session_old=abc; xforum_session=1")).toBe(false);
    expect(hasSessionCookie(undefined)).toBe(false);
  });
});

describe("isPublicRoute", () => {
  it("knows the public reads in both languages and nothing else", () => {
    for (const pattern of [
      "/",
      "/fr",
      "/programme",
      "/fr/sessions/[slug]",
      "/sessions/[slug].ics",
      "/schedule.json",
      "/fr/schedule.xml",
      "/[page]",
      "/fr/[page]",
    ])
      expect(isPublicRoute(pattern), pattern).toBe(true);
    for (const pattern of [
      "/agenda",
      "/admin/programme/preview",
      "/fr/admin/programme/preview",
      "/account",
      "/register",
      "/agenda/[token].ics",
      "/media/[file]",
      "/health",
    ])
      expect(isPublicRoute(pattern), pattern).toBe(false);
  });
});

describe("buildEntry", () => {
  it("never stores an answer that sets a cookie", () => {
    const headers = new Headers({ "Content-Type": "text/html" });
    headers.append("Set-Cookie", "a=b");
    expect(buildEntry("k", { headers, body: new Uint8Array(10), etag: '"e"' })).toBeNull();
  });

  it("compresses text over 1 KiB once, with shared caching headers", () => {
    const big = buildEntry("k", { ...offer("x".repeat(5000)), headers: new Headers({ "Content-Type": "text/html" }) })!;
    expect(big.br!.headers["Content-Encoding"]).toBe("br");
    expect(big.gzip!.headers.ETag).toBe('"e-gz"');
    expect(big.identity.headers.Vary).toBe("Cookie, Accept-Encoding");
    expect(big.identity.headers["Cache-Control"]).toMatch(/^public, .*s-maxage=\d+, stale-while-revalidate=\d+$/);
    const small = buildEntry("k", { ...offer("tiny"), headers: new Headers({ "Content-Type": "text/plain" }) })!;
    expect(small.br).toBeUndefined();
    expect(small.identity.headers.Vary).toBe("Cookie");
  });
});

describe("ByteLru", () => {
  const entry = (key: string, bytes: number) => ({ key, bytes }) as never;

  it("evicts the least recently used entries beyond its byte cap", () => {
    const lru = new ByteLru(1000);
    lru.set(entry("a", 400));
    lru.set(entry("b", 400));
    lru.get("a");
    lru.set(entry("c", 400));
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBeDefined();
    expect(lru.get("c")).toBeDefined();
    expect(lru.bytes).toBe(800);
    expect(lru.evictions).toBe(1);
  });

  it("refuses an entry larger than the cap, and counts a replaced entry once", () => {
    const lru = new ByteLru(1000);
    expect(lru.set(entry("huge", 1001))).toBe(false);
    lru.set(entry("a", 300));
    lru.set(entry("a", 500));
    expect(lru.bytes).toBe(500);
    expect(lru.size).toBe(1);
    lru.clear();
    expect(lru.bytes).toBe(0);
  });
});
