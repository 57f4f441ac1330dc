import type { APIRoute } from "astro";
import { getSiteUrl } from "../web/runtime.ts";

/** Crawlers may read the public site; the sitemap lists it. */
export const GET: APIRoute = () => {
  const sitemap = new URL("/sitemap.xml", getSiteUrl()).href;
  return new Response(`User-agent: *\nDisallow: /admin\n\nSitemap: ${sitemap}\n`, {
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
};
