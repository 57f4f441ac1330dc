// `npm test`: builds the site once, then runs every Vitest project (unit, integration, browser).
// Browser tests need Debian's Chromium, the proxy test Debian's nginx; without them they are skipped
// with the command that installs them, unless REQUIRE_BROWSER=1 (CI), where a missing one fails the run.
// Arguments go to Vitest: `npm test -- --project unit`, `npm test -- tests/e2e`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const env = { ...process.env, ASTRO_TELEMETRY_DISABLED: "1" };
if (!existsSync(chromium)) {
  if (process.env.REQUIRE_BROWSER === "1") {
    console.error(`Chromium is required (REQUIRE_BROWSER=1) but ${chromium} is missing. Install it: apt-get install -y chromium`);
    process.exit(1);
  }
  console.warn(`\nBrowser tests will be skipped: ${chromium} is missing. Install it with: apt-get install -y chromium\n`);
}
// Likewise Debian's nginx for the TLS proxy test (tests/integration/proxy.test.ts).
const nginx = process.env.NGINX_PATH ?? "/usr/sbin/nginx";
if (!existsSync(nginx)) {
  if (process.env.REQUIRE_BROWSER === "1" || process.env.CI) {
    console.error(`nginx is required in CI (REQUIRE_BROWSER=1 or CI) but ${nginx} is missing. Install it: apt-get install -y nginx`);
    process.exit(1);
  }
  console.warn(`\nThe proxy test will be skipped: ${nginx} is missing. Install it with: apt-get install -y nginx\n`);
}

// The build's route-by-route log is noise in a test run; it is shown only when the build fails.
const started = performance.now();
const build = spawnSync("astro", ["build"], { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
if (build.status !== 0) {
  process.stdout.write(build.stdout ?? "");
  process.stderr.write(build.stderr ?? "");
  console.error(`\nastro build failed (${build.error?.message ?? `exit ${build.status}`}); no test was run.`);
  process.exit(build.status || 1);
}
console.log(`Built the site in ${((performance.now() - started) / 1000).toFixed(1)} s.`);

const tests = spawnSync("vitest", ["run", ...process.argv.slice(2)], { stdio: "inherit", env });
process.exit(tests.status ?? 1);
