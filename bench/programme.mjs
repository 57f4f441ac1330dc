// `npm run bench`: how fast the real server answers the programme, a session page, the changelog, the
// call for papers and the organizers' schedule grid (signed in as an organizer), next to a bare
// node:http server that returns the very same bytes (the floor: what Node alone costs on this
// machine). It builds nothing: run `npm run build` (or `npm start` / `npm test`) first.
//
// Both servers run in their own process on 127.0.0.1; this process is only the load generator
// (keep-alive connections, a fixed duration per URL). Prints requests/s and p50/p99 latency.
//
//   BENCH_CONNECTIONS=64  concurrent connections      BENCH_SECONDS=5  measured seconds per URL
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, percentile, startProcess, stopAll } from "./lib.mjs";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 1;

if (!existsSync("dist/server/entry.mjs")) {
  console.error("No build found (dist/server/entry.mjs). Build first: npm run build");
  process.exit(1);
}

const dataDir = mkdtempSync(join(tmpdir(), "forum-bench-"));
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });

/** Stops both servers and removes the temporary database; safe to call twice. */
async function cleanUp() {
  agent.destroy();
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => cleanUp().then(() => process.exit(130)));

/** Cookie sent with the organizers' pages (set once an organizer session exists). */
let organizerCookie = "";
const isAdmin = (path) => path.startsWith("/admin");

/** One GET over the keep-alive agent; resolves with the status once the body is read. */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const headers = isAdmin(path) ? { Cookie: organizerCookie } : {};
    const request = http.get({ host: "127.0.0.1", port, path, agent, headers }, (response) => {
      response.on("data", () => {});
      response.on("end", () => resolve(response.statusCode));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

/** Loads `path` with CONNECTIONS concurrent loops for `seconds`; returns latencies (ms) and errors. */
async function load(port, path, seconds) {
  const latencies = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      try {
        const status = await get(port, path);
        if (status === 200) latencies.push(performance.now() - start);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  return { latencies, errors, elapsed: (performance.now() - started) / 1000 };
}

try {
  const sitePort = await freePort();
  const site = `http://127.0.0.1:${sitePort}`;
  await startProcess(
    ["scripts/serve.mjs"],
    {
      PORT: String(sitePort),
      HOST: "127.0.0.1",
      SITE_URL: site,
      DATABASE_PATH: join(dataDir, "forum.db"),
      MAILBOX_DIR: join(dataDir, "mailbox"),
      NODE_ENV: "production",
      ASTRO_NODE_LOGGING: "disabled",
      ASTRO_TELEMETRY_DISABLED: "1",
    },
    `${site}/health`,
  );

  // The pages as the real server renders them; the bare server will answer with these bytes.
  const programme = await fetch(`${site}/programme`);
  const programmeHtml = await programme.text();
  const slug = /href="\/sessions\/([a-z0-9-]+)"/.exec(programmeHtml)?.[1];
  if (programme.status !== 200 || !slug) throw new Error(`GET /programme answered ${programme.status} without a session link`);
  // An organizer who gave the second factor, straight in the database (the bench is not about sign-in).
  const { openDatabase } = await import("../db/client.ts");
  const { addUser } = await import("../src/lib/auth/users.ts");
  const { createSession, markSessionTwoFactorVerified, SESSION_COOKIE } = await import("../src/lib/auth/sessions.ts");
  const db = openDatabase(join(dataDir, "forum.db"));
  const user = addUser(db, { email: "bench-organizer@example.org", roles: ["organizer"] });
  db.$client.prepare("update users set totp_enabled_at = ? where id = ?").run(Date.now(), user.id);
  const { token, session } = createSession(db, user.id);
  markSessionTwoFactorVerified(db, session.id);
  db.$client.close();
  organizerCookie = `${SESSION_COOKIE}=${token}`;

  const paths = ["/programme", `/sessions/${slug}`, "/changelog", "/cfp", "/admin/programme/schedule"];
  const pages = {};
  for (const path of paths) {
    const response = await fetch(site + path, { headers: isAdmin(path) ? { Cookie: organizerCookie } : {} });
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    pages[path] = { type: response.headers.get("content-type"), body: body.toString("base64") };
  }
  const pagesFile = join(dataDir, "pages.json");
  writeFileSync(pagesFile, JSON.stringify(pages));

  const barePort = await freePort();
  const bareServer = `
    import http from "node:http";
    import { readFileSync } from "node:fs";
    const pages = JSON.parse(readFileSync(${JSON.stringify(pagesFile)}, "utf8"));
    for (const page of Object.values(pages)) page.body = Buffer.from(page.body, "base64");
    http.createServer((req, res) => {
      const page = pages[req.url] ?? (req.url === "/health" ? { type: "text/plain", body: Buffer.from("ok") } : null);
      if (!page) { res.writeHead(404).end(); return; }
      res.writeHead(200, { "Content-Type": page.type, "Content-Length": page.body.length }).end(page.body);
    }).listen(${barePort}, "127.0.0.1");`;
  await startProcess(["--input-type=module", "-e", bareServer], {}, `http://127.0.0.1:${barePort}/health`);

  console.log(
    `\nLoad: ${CONNECTIONS} keep-alive connections, ${SECONDS} s per URL after ${WARMUP_SECONDS} s warm-up; ` +
      `loopback, ${cpus().length} CPU(s), Node ${process.versions.node}; client and servers share the machine.\n`,
  );
  const rows = [];
  for (const path of paths) {
    for (const [server, port] of [
      ["astro", sitePort],
      ["bare node:http", barePort],
    ]) {
      await load(port, path, WARMUP_SECONDS);
      const { latencies, errors, elapsed } = await load(port, path, SECONDS);
      latencies.sort((a, b) => a - b);
      rows.push({
        url: path,
        server,
        bytes: Buffer.from(pages[path].body, "base64").length,
        requests: latencies.length,
        rps: latencies.length / elapsed,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        errors,
      });
    }
  }

  const header = ["URL", "server", "bytes", "requests", "req/s", "p50 ms", "p99 ms", "errors"];
  const table = rows.map((r) => [
    r.url,
    r.server,
    String(r.bytes),
    String(r.requests),
    r.rps.toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));
  for (const path of paths) {
    const [astro, bare] = rows.filter((r) => r.url === path);
    console.log(`\n${path}: the site serves ${((astro.rps / bare.rps) * 100).toFixed(0)}% of the bare server's throughput.`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
