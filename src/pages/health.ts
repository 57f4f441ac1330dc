import type { APIRoute } from "astro";
import { healthy } from "../web/runtime.ts";

/** 200 while the database answers, 503 otherwise. */
export const GET: APIRoute = () => {
  const ok = healthy();
  return new Response(JSON.stringify({ status: ok ? "ok" : "unavailable", database: ok }), {
    status: ok ? 200 : 503,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
};
