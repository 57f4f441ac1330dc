import type { APIRoute } from "astro";
import { embedScheduleResponse } from "../../web/embed.ts";

/** The anonymous public's schedule JSON that other sites' `<forum-schedule>` reads (src/web/embed.ts); in French under /fr. */
export const GET: APIRoute = ({ url }) => embedScheduleResponse(url);
