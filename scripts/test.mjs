// `npm test`: builds the site once, then runs every Vitest project (unit, integration, browser).
// Browser tests need Debian's Chromium; without it they are skipped with the command that installs
// it, unless REQUIRE_BROWSER=1 (CI), where a missing browser fails the run.
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

const run = (cmd, args) => {
  const result = spawnSync(cmd, args, { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

run("astro", ["build", "--silent"]);
run("vitest", ["run", ...process.argv.slice(2)]);
