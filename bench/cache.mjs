// `npm run bench:cache`: the public pages served from the response cache (decision 29), next to a
// bare node:http server that sends the very same bytes, in the same run; an uncached render of
// /programme (the cache off) with its CPU time per request; the first request after a release; and
// an "event day" mix (90 % anonymous programme and session views, 5 % signed-in agenda views, 5 %
// registrations) with p99 per kind and the server's memory at the end.
//
// Pinning: every server runs on core BENCH_SERVER_CPU (default 0), this load generator on
// BENCH_CLIENT_CPU (default 1), through taskset. Build first (npm run build).
//
//   BENCH_CONNECTIONS=64   BENCH_SECONDS=5 (per URL)   BENCH_MIX_SECONDS=60
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds, freePort, percentile, pinClient, rawLoad, rssMb, serverProcesses, startProcess, stopAll } from "./lib.mjs";

process.env.BENCH_SERVER_CPU ??= "0";
process.env.BENCH_CLIENT_CPU ??= "1";
pinClient();
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const MIX_SECONDS = Number(process.env.BENCH_MIX_SECONDS ?? 60);

if (!existsSync("dist/server/entry.mjs")) {
  console.error("No build found (dist/server/entry.mjs). Build first: npm run build");
  process.exit(1);
}
const dataDir = mkdtempSync(join(tmpdir(), "forum-bench-cache-"));
async function cleanUp() {
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => cleanUp().then(() => process.exit(130)));

const BROWSER = "gzip, deflate, br";
let host = "127.0.0.1";
const request = (path, headers = {}) =>
  Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${Object.entries(headers)
      .map(([n, v]) => `${n}: ${v}\r\n`)
      .join("")}\r\n`,
  );

/** The site's server on its own database; `env` adds to the common settings. */
async function startSite(name, env = {}) {
  const port = await freePort();
  const site = `http://127.0.0.1:${port}`;
  const child = await startProcess(
    ["scripts/serve.mjs"],
    {
      PORT: String(port),
      HOST: "127.0.0.1",
      SITE_URL: site,
      DATABASE_PATH: join(dataDir, `${name}.db`),
      MAILBOX_DIR: join(dataDir, `${name}-mailbox`),
      NODE_ENV: "production",
      ASTRO_NODE_LOGGING: "disabled",
      REGISTER_LIMIT_IP: "100000000/1",
      REGISTER_LIMIT_EMAIL: "100000000/1",
      ...env,
    },
    `${site}/health`,
  );
  return { port, site, child, db: join(dataDir, `${name}.db`) };
}

/** The HTTP worker of a server (the cluster primary forks it; /proc tells which is which). */
const httpWorkerOf = (child) => serverProcesses(child.pid).http[0];

const summary = (latencies, elapsed) => {
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
};

/** Loads one request; with `pid`, also the server's CPU time per answer (µs), which a shared machine disturbs less than req/s. */
async function loadOne(port, bytes, connections = CONNECTIONS, seconds = SECONDS, pid) {
  await rawLoad({ port, pick: () => ({ kind: "x", bytes }), connections, seconds: 1 });
  const before = pid ? cpuSeconds(pid) : 0;
  const { kinds, elapsed } = await rawLoad({ port, pick: () => ({ kind: "x", bytes }), connections, seconds });
  const k = kinds.get("x") ?? { latencies: [], statuses: new Map(), errors: 0 };
  const cpuUs = pid ? ((cpuSeconds(pid) - before) * 1e6) / Math.max(1, k.latencies.length) : NaN;
  return { ...summary(k.latencies, elapsed), cpuUs, errors: k.errors + [...k.statuses.values()].reduce((a, b) => a + b, 0) };
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

try {
  const cached = await startSite("cached");
  host = `127.0.0.1:${cached.port}`;
  const programme = await (await fetch(`${cached.site}/programme`)).text();
  const slug = /href="\/sessions\/([a-z0-9-]+)"/.exec(programme)?.[1];
  const sessionSlugs = [...new Set([...programme.matchAll(/href="\/sessions\/([a-z0-9-]+)"/g)].map((m) => m[1]))];
  const speakers = await (await fetch(`${cached.site}/speakers`)).text();
  const speaker = /href="\/speakers\/([a-z0-9-]+)"/.exec(speakers)?.[1];
  if (!slug || !speaker) throw new Error("no session or speaker link found");
  const paths = ["/programme", `/sessions/${slug}`, `/speakers/${speaker}`, "/schedule.json"];

  // The bare server answers with the bytes and headers the site sent (brotli for a browser, identity for /programme too).
  const variants = [
    ...paths.map((path) => ({ path, encoding: BROWSER })),
    { path: "/programme", encoding: "" },
    { path: "/robots.txt", encoding: "" },
  ];
  const pages = {};
  for (const v of variants) {
    await rawOnce(cached.port, request(v.path, v.encoding ? { "Accept-Encoding": v.encoding } : {}));
    const raw = await rawOnce(cached.port, request(v.path, v.encoding ? { "Accept-Encoding": v.encoding } : {}));
    pages[`${v.path}|${v.encoding}`] = raw;
  }
  const pagesFile = join(dataDir, "pages.json");
  writeFileSync(
    pagesFile,
    JSON.stringify(Object.fromEntries(Object.entries(pages).map(([k, v]) => [k, { headers: v.headers, body: v.body.toString("base64") }]))),
  );
  const barePort = await freePort();
  const bare = `
    import http from "node:http";
    import { readFileSync } from "node:fs";
    const pages = JSON.parse(readFileSync(${JSON.stringify(pagesFile)}, "utf8"));
    for (const page of Object.values(pages)) page.body = Buffer.from(page.body, "base64");
    http.createServer((req, res) => {
      if (req.url === "/health") return res.end("ok");
      const page = pages[req.url + "|" + (req.headers["accept-encoding"] ?? "")];
      if (!page) { res.writeHead(404).end(); return; }
      res.writeHead(200, page.headers).end(page.body);
    }).listen(${barePort}, "127.0.0.1");`;
  const bareChild = await startProcess(["--input-type=module", "-e", bare], {}, `http://127.0.0.1:${barePort}/health`);
  const uncached = await startSite("uncached", { RESPONSE_CACHE: "off" });

  console.log(
    `\nLoad: ${CONNECTIONS} keep-alive connections, ${SECONDS} s per URL after 1 s warm-up; servers on core ${process.env.BENCH_SERVER_CPU}, ` +
      `load generator on core ${process.env.BENCH_CLIENT_CPU} (taskset); ${cpus().length} CPU(s), Node ${process.versions.node}.\n`,
  );
  const rows = [];
  for (const v of variants) {
    const bytes = request(v.path, v.encoding ? { "Accept-Encoding": v.encoding } : {});
    const size = pages[`${v.path}|${v.encoding}`].body.length;
    const site = await loadOne(cached.port, bytes, CONNECTIONS, SECONDS, httpWorkerOf(cached.child));
    const floor = await loadOne(barePort, bytes, CONNECTIONS, SECONDS, bareChild.pid);
    rows.push([
      v.path,
      v.encoding ? "br" : "identity",
      size,
      site.rps.toFixed(0),
      floor.rps.toFixed(0),
      `${((site.rps / floor.rps) * 100).toFixed(0)} %`,
      site.p99.toFixed(1),
      floor.p99.toFixed(1),
      site.cpuUs.toFixed(0),
      floor.cpuUs.toFixed(0),
      `${((floor.cpuUs / site.cpuUs) * 100).toFixed(0)} %`,
      site.errors,
    ]);
  }
  // What Astro's own pipeline costs for the cheapest answer there is (a static text endpoint, the
  // response cache off): the most Astro's route cache could reach, since its hits still go through it.
  {
    const robots = request("/robots.txt");
    const site = await loadOne(uncached.port, robots, CONNECTIONS, SECONDS, httpWorkerOf(uncached.child));
    const bareRow = rows.find((r) => r[0] === "/robots.txt");
    const bareRps = Number(bareRow[4]);
    rows.push([
      "/robots.txt via Astro (cache off)",
      "identity",
      rows.find((r) => r[0] === "/robots.txt")[2],
      site.rps.toFixed(0),
      bareRps,
      `${((site.rps / bareRps) * 100).toFixed(0)} %`,
      site.p99.toFixed(1),
      "",
      site.cpuUs.toFixed(0),
      bareRow[9],
      `${((Number(bareRow[9]) / site.cpuUs) * 100).toFixed(0)} %`,
      site.errors,
    ]);
  }
  table(
    [
      "URL",
      "encoding",
      "bytes",
      "site req/s",
      "bare req/s",
      "site/bare",
      "site p99 ms",
      "bare p99 ms",
      "site CPU µs",
      "bare CPU µs",
      "bare/site CPU",
      "errors",
    ],
    rows,
  );
  console.log("(CPU µs: the server's user + system time per answer, measured from /proc; a shared machine disturbs it less than req/s.)");

  // Uncached renders: the same page with the cache off, at 64 connections and one at a time (CPU per render).
  const programmeBr = request("/programme", { "Accept-Encoding": BROWSER });
  const busy = await loadOne(uncached.port, programmeBr);
  const before = cpuSeconds(httpWorkerOf(uncached.child));
  const serial = await loadOne(uncached.port, programmeBr, 1, SECONDS);
  const cpuMs = ((cpuSeconds(httpWorkerOf(uncached.child)) - before) * 1000) / serial.requests;
  console.log(
    `\nUncached /programme (RESPONSE_CACHE=off, brotli on the fly): ${busy.rps.toFixed(0)} req/s at ${CONNECTIONS} connections, p99 ${busy.p99.toFixed(1)} ms; ` +
      `one at a time ${serial.rps.toFixed(0)} req/s, about ${cpuMs.toFixed(2)} ms of server CPU per request (warm-up and measuring included).`,
  );

  // The first request after a release, on the cached server (the whole cache is then cold).
  const { openDatabase } = await import("../db/client.ts");
  const { publishRelease } = await import("../src/lib/programme/releases.ts");
  const db = openDatabase(cached.db);
  const firsts = [];
  for (let i = 0; i < 5; i++) {
    await rawOnce(cached.port, programmeBr);
    publishRelease(db, { id: null, email: "bench@example.org" }, `bench ${i}`);
    const start = performance.now();
    await rawOnce(cached.port, programmeBr);
    firsts.push(performance.now() - start);
  }
  console.log(`First /programme after a release (cache cold, idle server): ${firsts.map((ms) => ms.toFixed(1)).join(", ")} ms.`);

  // The event-day mix.
  const { addUser } = await import("../src/lib/auth/users.ts");
  const { createSession, SESSION_COOKIE } = await import("../src/lib/auth/sessions.ts");
  const user = addUser(db, { email: "bench-attendee@example.org", roles: [] });
  const { token } = createSession(db, user.id);
  db.$client.close();
  const agenda = request("/agenda", { "Accept-Encoding": BROWSER, Cookie: `${SESSION_COOKIE}=${token}` });
  const sessionRequests = sessionSlugs.map((s) => request(`/sessions/${s}`, { "Accept-Encoding": BROWSER }));
  const run = Date.now().toString(36);
  let sequence = 0;
  const registration = () => {
    sequence++;
    const body = new URLSearchParams({
      category: "industry",
      name: `Bench ${sequence}`,
      email: `bench-${run}-${sequence}@example.org`,
      organisation: "Bench Org",
      country: "FR",
      language: "en",
      company: "Bench Company",
      role: "Engineer",
      privacyConsent: "on",
      website: "",
    }).toString();
    return Buffer.from(
      `POST /register?_action=register HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${cached.site}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
  const pick = () => {
    const r = Math.random();
    if (r < 0.45) return { kind: "anonymous /programme", bytes: programmeBr };
    if (r < 0.9) return { kind: "anonymous session page", bytes: sessionRequests[Math.floor(Math.random() * sessionRequests.length)] };
    if (r < 0.95) return { kind: "signed-in /agenda", bytes: agenda };
    return { kind: "registration POST", bytes: registration() };
  };
  const mix = await rawLoad({ port: cached.port, pick, connections: CONNECTIONS, seconds: MIX_SECONDS });
  console.log(`\nEvent-day mix, ${MIX_SECONDS} s at ${CONNECTIONS} connections (mail worker on):`);
  table(
    ["kind", "", "requests", "req/s", "p50 ms", "p99 ms", "other statuses"],
    [...mix.kinds].map(([kind, k]) => {
      const s = summary(k.latencies, mix.elapsed);
      return [
        kind,
        "",
        s.requests,
        s.rps.toFixed(0),
        s.p50.toFixed(1),
        s.p99.toFixed(1),
        [...k.statuses].map(([st, n]) => `${st}: ${n}`).join(", ") + (k.errors ? ` dropped: ${k.errors}` : ""),
      ];
    }),
  );
  const processes = serverProcesses(cached.child.pid);
  console.log(
    `Server RSS after the mix: HTTP worker ${processes.http.map((pid) => rssMb(pid).toFixed(0)).join(", ")} MB, ` +
      `background process ${processes.background.map((pid) => rssMb(pid).toFixed(0)).join(", ")} MB, ` +
      `cluster primary ${rssMb(processes.primary).toFixed(0)} MB (target: HTTP worker 200 MB).`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}

/** One request on a fresh socket; resolves with the status, headers (without Date/Connection) and body bytes. */
function rawOnce(port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = buffer.toString("latin1", 0, end).split("\r\n");
      const headers = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      const length = Number(Object.entries(headers).find(([n]) => n.toLowerCase() === "content-length")?.[1] ?? -1);
      if (length < 0) {
        if (!buffer.subarray(end).includes("\r\n0\r\n\r\n")) return;
        socket.destroy();
        resolve({ status: Number(lines[0].slice(9, 12)), headers, body: Buffer.alloc(0), chunked: true });
        return;
      }
      if (buffer.length < end + 4 + length) return;
      socket.destroy();
      for (const name of Object.keys(headers)) if (/^(date|connection|keep-alive)$/i.test(name)) delete headers[name];
      resolve({ status: Number(lines[0].slice(9, 12)), headers, body: buffer.subarray(end + 4, end + 4 + length) });
    });
    socket.on("error", reject);
  });
}
