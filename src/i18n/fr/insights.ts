import type { insightsEn } from "../en/insights.ts";

/** French text of the insights screens. */
export const insightsFr: typeof insightsEn = {};
