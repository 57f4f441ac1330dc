/** English text of the mailstaff screens (merged into en.ts under `mailstaff`). */
export const mailstaffEn = {};
