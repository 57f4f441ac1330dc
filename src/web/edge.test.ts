import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { headerReader, parseTrustProxy, resolveEdge, trustsPeer, type TrustPolicy } from "../lib/security/proxy.ts";
import { originMismatch } from "./edge.ts";

const policy = (value: string): TrustPolicy => (parseTrustProxy(value) as { policy: TrustPolicy }).policy;
const SITE = "https://forum.example.org";

/** The hint for a POST from `peer` with `headers`, under TRUST_PROXY=`trust`. */
function hint(trust: string, peer: string, headers: Record<string, string>) {
  const edge = resolveEdge(peer, headerReader(headers), policy(trust));
  return originMismatch({ method: "POST", headers }, edge, trustsPeer(policy(trust), peer), SITE);
}

describe("originMismatch: why forms from the public origin are refused", () => {
  it("says nothing when the request will pass the origin check, or was not posted from SITE_URL", () => {
    const good = { origin: SITE, host: "forum.example.org", "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7" };
    expect(hint("127.0.0.1", "127.0.0.1", good)).toBeUndefined();
    expect(hint("127.0.0.1", "127.0.0.1", { ...good, "x-forwarded-host": "forum.example.org:443" })).toBeUndefined();
    expect(hint("", "127.0.0.1", { ...good, origin: "https://evil.example" })).toBeUndefined();
    const edge = resolveEdge("127.0.0.1", headerReader(good), policy("127.0.0.1"));
    expect(originMismatch({ method: "GET", headers: { ...good, "x-forwarded-proto": "http" } }, edge, true, SITE)).toBeUndefined();
    expect(originMismatch({ method: "POST", headers: good }, edge, true, undefined)).toBeUndefined();
  });

  it("names the proxy TRUST_PROXY should name", () => {
    expect(hint("", "127.0.0.1", { origin: SITE, host: "forum.example.org", "x-forwarded-proto": "https" })).toBe(
      "A form posted from https://forum.example.org came through a proxy at 127.0.0.1 that TRUST_PROXY does not name, so it looked like http://forum.example.org and was refused: set TRUST_PROXY=127.0.0.1 (docs/deploy.md, TRUST_PROXY).",
    );
  });

  it("names the headers a trusted proxy should send", () => {
    expect(hint("127.0.0.1", "127.0.0.1", { origin: SITE, host: "127.0.0.1:4321" })).toContain(
      "reached the site as http://127.0.0.1:4321 and was refused: the proxy at 127.0.0.1 must pass on the browser's protocol (X-Forwarded-Proto) and host (Host)",
    );
  });

  it("says what to do when no proxy is visible at all (a bare proxy_pass)", () => {
    expect(hint("", "127.0.0.1", { origin: SITE, host: "127.0.0.1:4321" })).toContain(
      "came from 127.0.0.1 as http://127.0.0.1:4321 and was refused: behind a proxy, name it in TRUST_PROXY",
    );
  });
});

describe("the client's address", () => {
  it("is read from locals.edge everywhere: no page, component or Action asks Astro's clientAddress (the proxy, behind one)", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|astro|mjs)$/.test(name) && !name.endsWith(".test.ts") && /clientAddress\b(?!Of)/.test(readFileSync(path, "utf8")))
          offenders.push(path);
      }
    };
    walk("src");
    // The middleware's fallback for the dev server, where no edge ran, and the edge's own helpers.
    expect(offenders.sort()).toEqual(["src/env.d.ts", "src/middleware.ts", "src/web/edge.ts"]);
  });
});
