import type { APIRoute } from "astro";
import { currentProgramme } from "../web/runtime.ts";

/** Track colours as CSS custom properties, so that pages need no inline style (strict CSP). */
export const GET: APIRoute = () => {
  const { tracks } = currentProgramme();
  const css = tracks.map((track) => `.track-${track.slug} { --track-colour: ${track.colour}; }`).join("\n");
  return new Response(css + "\n", { headers: { "Content-Type": "text/css; charset=utf-8" } });
};
