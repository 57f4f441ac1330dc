import type { resendLinkEn } from "../en/link.ts";

/** French text of "resend my link". */
export const resendLinkFr: typeof resendLinkEn = {
  title: "Recevoir à nouveau le lien de votre inscription",
  description:
    "Vous avez perdu le message contenant le lien de votre inscription\u202f? Nous l’envoyons de nouveau à l’adresse avec laquelle vous vous êtes inscrit.",
  intro:
    "Saisissez l’adresse e-mail avec laquelle vous vous êtes inscrit. Si une inscription existe pour elle, nous envoyons à cette adresse le lien personnel pour la gérer (et télécharger votre billet).",
  email: "Adresse e-mail",
  send: "M’envoyer le lien",
  sentTitle: "Consultez votre messagerie",
  sent: "Si une inscription existe pour cette adresse, un message contenant son lien personnel lui est envoyé. Cela peut prendre quelques minutes.",
  sentNote: "Rien après quelques minutes\u202f? Regardez dans vos courriers indésirables, ou vérifiez l’adresse saisie et recommencez.",
  link: "Déjà inscrit\u202f? Recevoir à nouveau le lien de votre inscription",
};
