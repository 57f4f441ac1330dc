import type { calendarsEn } from "../en/calendars.ts";

/** French text of the calendar links beside the programme's exports. */
export const calendarsFr: typeof calendarsEn = {
  subscribe: "S’abonner",
  subscribeLabel: (what: string) => `S’abonner dans votre application de calendrier\u00a0: ${what}`,
  download: "Télécharger (.ics)",
  downloadLabel: (what: string) => `Télécharger une fois (.ics)\u00a0: ${what}`,
  hint: "Un abonnement suit chaque modification du programme\u202f; un téléchargement en est une copie à l’instant présent.",
  programme: "Tout le programme",
  programmeWhat: "tout le programme",
  tracks: "Une thématique",
  trackWhat: (track: string) => `la thématique «\u202f${track}\u202f»`,
  speakerWhat: (name: string) => `les sessions de ${name}`,
};
