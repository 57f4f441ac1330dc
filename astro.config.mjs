// @ts-check
import { defineConfig } from "astro/config";
import node from "@astrojs/node";
import { frenchTwins } from "./src/web/french-routes.mjs";

export default defineConfig({
  output: "server",
  // Every page answers in English and, under /fr, in French: one file for both (decision 42).
  integrations: [frenchTwins()],
  // Middleware mode: scripts/serve.mjs owns the listener and serves the build's files from memory.
  adapter: node({ mode: "middleware" }),
  site: process.env.SITE_URL ?? "http://localhost:4321",
  server: { port: Number(process.env.PORT ?? 4321), host: process.env.HOST ?? "localhost" },
  i18n: {
    defaultLocale: "en",
    locales: ["en", "fr"],
    routing: { prefixDefaultLocale: false },
  },
  // Every stylesheet is a file, so the Content-Security-Policy can forbid inline styles.
  build: { inlineStylesheets: "never" },
  // Likewise every script (Astro inlines a small bundled <script>, which "script-src 'self'" would block).
  vite: { build: { assetsInlineLimit: (file) => (/\.[cm]?js$/.test(file) ? false : undefined) } },
  // Forms are small: a body over 64 KiB is refused with 413 before it is parsed. This is the limit of
  // the photo upload Action; src/web/action-body-limit.ts holds every other Action to 64 KiB.
  security: { checkOrigin: true, actionBodySizeLimit: 6 * 1024 * 1024 },
  devToolbar: { enabled: false },
  // Inside the server (scripts/serve.mjs) Astro's messages become the process's JSON log lines.
  logger: { entrypoint: "./src/lib/observability/astro-logger.mjs" },
});
