import type { APIRoute } from "astro";
import { presenceResponse } from "../../../web/desk-endpoint.ts";

/** The counts of people inside (decision 38), see src/web/desk-endpoint.ts. */
export const GET: APIRoute = (context) => presenceResponse(context);
