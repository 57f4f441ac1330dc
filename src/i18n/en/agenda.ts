/** English text of the agenda screens (merged into en.ts under `agenda`). */
export const agendaEn = {};
