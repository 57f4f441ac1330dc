import type { agendaEn } from "../en/agenda.ts";

/** French text of the agenda screens. */
export const agendaFr: typeof agendaEn = {};
