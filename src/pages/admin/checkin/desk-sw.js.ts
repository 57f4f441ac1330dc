import type { APIRoute } from "astro";
import { workerResponse } from "../../../web/desk-endpoint.ts";

/** The service worker of the English desk. */
export const GET: APIRoute = (context) => workerResponse(context, "/admin/checkin");
