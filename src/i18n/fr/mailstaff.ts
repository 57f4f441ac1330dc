import type { mailstaffEn } from "../en/mailstaff.ts";

/** French text of the mailstaff screens. */
export const mailstaffFr: typeof mailstaffEn = {};
