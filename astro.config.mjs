// @ts-check
import { defineConfig } from "astro/config";
import node from "@astrojs/node";

export default defineConfig({
  output: "server",
  adapter: node({ mode: "standalone" }),
  site: process.env.SITE_URL ?? "http://localhost:4321",
  server: { port: Number(process.env.PORT ?? 4321), host: process.env.HOST ?? "localhost" },
  i18n: {
    defaultLocale: "en",
    locales: ["en", "fr"],
    routing: { prefixDefaultLocale: false },
  },
  // Every stylesheet is a file, so the Content-Security-Policy can forbid inline styles.
  build: { inlineStylesheets: "never" },
  security: { checkOrigin: true },
  devToolbar: { enabled: false },
});
