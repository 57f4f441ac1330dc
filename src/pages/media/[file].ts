import type { APIRoute } from "astro";
import { findMedia } from "../../lib/programme/photos.ts";
import { getDb } from "../../web/runtime.ts";

/** Uploaded images by the hash of their bytes: what a URL names never changes, so it is cached for good. */
export const GET: APIRoute = ({ params }) => {
  const found = findMedia(getDb(), params.file ?? "");
  if (!found) return new Response("Not found.\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  return new Response(new Uint8Array(found.bytes), {
    headers: {
      "Content-Type": found.contentType,
      "Content-Length": String(found.bytes.byteLength),
      "Cache-Control": "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; sandbox",
    },
  });
};
