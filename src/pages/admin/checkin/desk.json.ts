import type { APIRoute } from "astro";
import { rosterResponse, scanResponse } from "../../../web/desk-endpoint.ts";

/** The desks' roster (GET) and their scans (POST, JSON), see src/web/desk-endpoint.ts. */
export const GET: APIRoute = (context) => rosterResponse(context);
export const POST: APIRoute = (context) => scanResponse(context);
