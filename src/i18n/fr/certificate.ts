import type { certificateEn } from "../en/certificate.ts";

/** Texte français de l’attestation de présence (fusionné dans fr.ts sous `certificate`). */
export const certificateFr: typeof certificateEn = {
  title: "Attestation de présence",
  certify: "Nous attestons que",
  attended: "a participé à",
  days: (n: number) => (n === 1 ? "Journée de présence" : "Journées de présence"),
  issued: (place: string) => `Fait à ${place}`,
  forOrganizers: (hosts: string) => `pour les organisateurs : ${hosts}`,
  heading: "Attestation de présence",
  download: "Télécharger votre attestation de présence (PDF)",
  daysChecked: (days: string) => `Votre attestation indique les journées où votre arrivée a été enregistrée au forum : ${days}.`,
  notYet: "Votre attestation de présence sera disponible ici une fois votre arrivée enregistrée à l’accueil du forum.",
  fileName: "attestation-de-presence.pdf",
  notFound: "Pas d’attestation de présence : l’arrivée de cette inscription n’a jamais été enregistrée au forum.",
};
