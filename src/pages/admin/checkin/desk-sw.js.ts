import type { APIRoute } from "astro";
import { localeOfPath, localizePath } from "../../../lib/locale.ts";
import { workerResponse } from "../../../web/desk-endpoint.ts";

/** The service worker of the desk, its scope the desk of the path's language. */
export const GET: APIRoute = (context) => workerResponse(context, localizePath("/admin/checkin", localeOfPath(context.url.pathname)));
