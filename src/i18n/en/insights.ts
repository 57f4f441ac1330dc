/** English text of the insights screens (merged into en.ts under `insights`). */
export const insightsEn = {};
