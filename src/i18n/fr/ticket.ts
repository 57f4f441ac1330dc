import type { ticketEn } from "../en/ticket.ts";

/** French text of the ticket. */
export const ticketFr: typeof ticketEn = {
  title: (event: string) => `Billet · ${event}`,
  attendee: "Participant",
  category: "Catégorie",
  venue: "Lieu",
  code: "Code du billet",
  scan: "Présentez ce billet à l’accueil",
  personal: "Billet nominatif\u00a0: une entrée, pour son seul titulaire. Ne partagez pas le QR code.",
  pdf: "Télécharger le billet (PDF, à imprimer)",
  png: "Télécharger le billet (image, pour votre téléphone)",
  codeHint: "Si le QR code ne peut pas être lu, l’accueil vous retrouve grâce à ce code ou à votre nom.",
};
