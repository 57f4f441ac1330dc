import { defineConfig } from "vitest/config";

// Three projects: unit (domain modules, no server), integration (HTTP against the built server on a
// free port with a fresh database), browser (Playwright driving Debian's Chromium).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "db/**/*.test.ts", "tests/unit/**/*.test.ts", "scripts/**/*.test.ts"],
          environment: "node",
          // Some unit tests start a Node process or seed a database: seconds on a loaded 2-core
          // machine. A timeout is a guard against a hang, never a measure of speed.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          // Many tests start a server (three Node processes) on a small machine that may be busy.
          testTimeout: 90_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["tests/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
