import type { APIRoute } from "astro";
import { embedScriptResponse } from "../../web/embed.ts";

/** The script of the embeddable schedule `<forum-schedule>` (src/web/embed.ts). */
export const GET: APIRoute = () => embedScriptResponse();
