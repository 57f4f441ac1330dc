import type { APIRoute } from "astro";
import { workerResponse } from "../../../../web/desk-endpoint.ts";

/** The service worker of the French desk. */
export const GET: APIRoute = (context) => workerResponse(context, "/fr/admin/checkin");
