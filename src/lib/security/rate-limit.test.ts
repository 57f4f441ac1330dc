import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { clientKey, createRateLimiter, parseLimit, purgeRateLimits } from "./rate-limit.ts";

const appKey = randomBytes(32);
let db: Db;
beforeEach(() => {
  db = openDatabase(":memory:");
});
afterEach(() => db.$client.close());

const limiter = (limit: number, windowMs: number, name = "test") => createRateLimiter({ db, appKey, name, limit, windowMs });
const rows = () =>
  db.$client.prepare("select limiter, key, slots, expires_at as expiresAt from rate_limits").all() as Record<string, unknown>[];

describe("database rate limiter", () => {
  it("allows `limit` attempts per window, then refuses until the oldest leaves it", () => {
    const l = limiter(3, 60_000);
    expect(l.hit("a", 0).allowed).toBe(true);
    expect(l.hit("a", 10_000).allowed).toBe(true);
    expect(l.hit("a", 20_000).allowed).toBe(true);
    // The first attempt's slot (0-1 s) leaves the window at 61 s.
    expect(l.hit("a", 30_000)).toEqual({ allowed: false, retryAfterSeconds: 31 });
    expect(l.hit("b", 30_000).allowed).toBe(true);
    expect(l.check("a", 60_999).allowed).toBe(false);
    expect(l.hit("a", 61_000).allowed).toBe(true);
    expect(l.check("a", 61_001).allowed).toBe(false);
  });

  it("does not count refused attempts, and check() counts nothing", () => {
    const l = limiter(1, 1000);
    l.hit("a", 0);
    for (let t = 1; t < 1000; t += 100) expect(l.hit("a", t).allowed).toBe(false);
    for (let t = 0; t < 50; t++) l.check("b", t);
    expect(l.hit("b", 50).allowed).toBe(true);
    // A slot is 17 ms (1/60 of the window, rounded up): the attempt at 0 counts until 1017.
    expect(l.hit("a", 1016).allowed).toBe(false);
    expect(l.hit("a", 1017).allowed).toBe(true);
  });

  it("never lets more than `limit` through in any window, wherever the attempts fall", () => {
    const l = limiter(5, 10_000);
    const allowed: number[] = [];
    for (let t = 0; t < 60_000; t += 97) if (l.hit("k", t).allowed) allowed.push(t);
    for (const start of allowed) expect(allowed.filter((t) => t >= start && t < start + 10_000).length).toBeLessThanOrEqual(5);
    // ... and is never much stricter than an exact log: about 5 per 10 s (a slot of slack each time).
    expect(allowed.length).toBeGreaterThanOrEqual(29);
  });

  it("keeps one small row per limiter and key, whatever the limit", () => {
    const l = limiter(100_000_000, 60_000);
    for (let t = 0; t < 120_000; t += 7) l.hit("10.0.0.1", t);
    expect(rows()).toHaveLength(1);
    expect((JSON.parse(rows()[0].slots as string) as unknown[]).length).toBeLessThanOrEqual(61);
  });

  it("stores a keyed hash, never the address or e-mail, different under another application key", () => {
    limiter(5, 60_000, "register.ip").hit("203.0.113.7", 0);
    limiter(5, 60_000, "register.email").hit("Ada@Example.org", 0);
    const stored = JSON.stringify(rows());
    expect(stored).not.toContain("203.0.113.7");
    expect(stored.toLowerCase()).not.toContain("ada@example.org");
    expect(stored).not.toContain("example");
    const other = createRateLimiter({ db, appKey: randomBytes(32), name: "register.ip", limit: 5, windowMs: 60_000 });
    other.hit("203.0.113.7", 0);
    const keys = rows()
      .filter((r) => r.limiter === "register.ip")
      .map((r) => r.key);
    expect(new Set(keys).size).toBe(2);
  });

  it("treats an e-mail address the same whatever its case", () => {
    const l = limiter(1, 60_000);
    expect(l.hit("Ada@Example.org", 0).allowed).toBe(true);
    expect(l.hit("ada@example.org ", 1).allowed).toBe(false);
  });

  it("keeps limiters apart", () => {
    limiter(1, 60_000, "one").hit("x", 0);
    expect(limiter(1, 60_000, "two").hit("x", 0).allowed).toBe(true);
    expect(limiter(1, 60_000, "one").check("x", 1).allowed).toBe(false);
  });

  it("sweeps rows whose window is over, and only those", () => {
    limiter(5, 1_000, "short").hit("a", 0);
    limiter(5, 60_000, "long").hit("a", 0);
    expect(purgeRateLimits(db, 500)).toBe(0);
    expect(purgeRateLimits(db, 2_000)).toBe(1);
    expect(rows().map((r) => r.limiter)).toEqual(["long"]);
    expect(limiter(5, 60_000, "long").check("a", 2_000).allowed).toBe(true);
  });

  it("refuses everything with a limit of 0", () => {
    expect(limiter(0, 60_000).hit("a", 0).allowed).toBe(false);
  });
});

describe("shared by connections", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rate-limit-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("two connections to one file see one limit, and a new connection remembers it", () => {
    const file = join(dir, "forum.db");
    const a = openDatabase(file);
    const b = openDatabase(file);
    const la = createRateLimiter({ db: a, appKey, name: "n", limit: 3, windowMs: 60_000 });
    const lb = createRateLimiter({ db: b, appKey, name: "n", limit: 3, windowMs: 60_000 });
    expect([la.hit("ip", 0), lb.hit("ip", 1), la.hit("ip", 2), lb.hit("ip", 3)].map((v) => v.allowed)).toEqual([true, true, true, false]);
    a.$client.close();
    b.$client.close();
    const c = openDatabase(file);
    expect(createRateLimiter({ db: c, appKey, name: "n", limit: 3, windowMs: 60_000 }).check("ip", 4).allowed).toBe(false);
    c.$client.close();
  });

  it("allows exactly `limit` attempts when four threads hit one key at once", async () => {
    const file = join(dir, "forum.db");
    openDatabase(file).$client.close();
    const moduleUrl = new URL("./rate-limit.ts", import.meta.url).href;
    const clientUrl = new URL("../../../db/client.ts", import.meta.url).href;
    const code = `
      const { workerData, parentPort } = require("node:worker_threads");
      (async () => {
        const { createRateLimiter } = await import(workerData.moduleUrl);
        const { openDatabase } = await import(workerData.clientUrl);
        const db = openDatabase(workerData.file);
        const limiter = createRateLimiter({ db, appKey: Buffer.from(workerData.key, "hex"), name: "race", limit: 37, windowMs: 60000 });
        const now = Date.now();
        let allowed = 0;
        for (let i = 0; i < 50; i++) if (limiter.hit("203.0.113.9", now).allowed) allowed++;
        db.$client.close();
        parentPort.postMessage(allowed);
      })().catch((error) => parentPort.postMessage(String(error?.stack ?? error)));
    `;
    const results = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<unknown>((resolve, reject) => {
            const worker = new Worker(code, { eval: true, workerData: { moduleUrl, clientUrl, file, key: appKey.toString("hex") } });
            worker.once("message", resolve);
            worker.once("error", reject);
          }),
      ),
    );
    for (const r of results) expect(typeof r, String(r)).toBe("number");
    expect((results as number[]).reduce((a, b) => a + b, 0)).toBe(37);
    // Four threads each load the database code: slow on a busy machine.
  }, 60_000);
});

describe("limits and client keys", () => {
  it("parses limits", () => {
    expect(parseLimit("5/60", { limit: 1, windowMs: 1 })).toEqual({ limit: 5, windowMs: 60_000 });
    expect(parseLimit("x", { limit: 1, windowMs: 1 })).toEqual({ limit: 1, windowMs: 1 });
    expect(parseLimit("5/0", { limit: 1, windowMs: 1 })).toEqual({ limit: 1, windowMs: 1 });
    expect(parseLimit(undefined, { limit: 2, windowMs: 3 })).toEqual({ limit: 2, windowMs: 3 });
  });

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
