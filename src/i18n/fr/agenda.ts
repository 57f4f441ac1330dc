import type { agendaEn } from "../en/agenda.ts";

/** French text of the agenda screens. */
export const agendaFr: typeof agendaEn = {
  title: "Mon agenda",
  description: "Les sessions que vous avez retenues, par jour et par heure, et une adresse d’agenda privée qui les suit.",
  intro: "Les sessions que vous avez retenues dans le programme, dans l’ordre chronologique. Les heures sont celles du lieu du forum.",
  count: (n: number) => (n <= 1 ? `${n} session dans votre agenda` : `${n} sessions dans votre agenda`),
  empty:
    "Votre agenda est vide. Dans le programme ou sur la page d’une session, choisissez « Ajouter à mon agenda » pour la retrouver ici.",
  browse: "Parcourir le programme",
  link: "Mon agenda",
  linkWithCount: (n: number) => `Mon agenda (${n})`,
  accountIntro: "Les sessions que vous avez retenues dans le programme, et une adresse d’agenda privée qui les suit.",
  add: "Ajouter à mon agenda",
  remove: "Retirer de mon agenda",
  removeShort: "Retirer",
  inAgenda: "Dans votre agenda",
  signInToStar: "Connectez-vous pour composer votre agenda",
  sessionsOf: (day: string) => `Vos sessions du ${day}`,
  feed: {
    title: "S’abonner dans votre application de calendrier",
    intro:
      "Votre application de calendrier peut suivre une adresse privée : elle affiche les sessions que vous avez retenues et se met à jour quand vous modifiez votre agenda ou que le programme change.",
    none: "Vous n’avez pas encore d’adresse d’agenda.",
    create: "Créer mon adresse d’agenda",
    label: "Votre adresse d’agenda privée",
    copyHint: "Copiez cette adresse dans votre application de calendrier (« s’abonner à un calendrier » ou « ajouter depuis une URL »).",
    subscribe: "Ouvrir dans mon application de calendrier",
    download: "Télécharger une fois (.ics)",
    private:
      "Toute personne qui connaît cette adresse peut lire votre agenda : gardez-la pour vous. Si elle a été communiquée par erreur, réinitialisez-la : l’ancienne adresse cessera aussitôt de fonctionner.",
    reset: "Réinitialiser le lien",
    created: "Votre adresse d’agenda privée est prête.",
    wasReset: "Une nouvelle adresse a été créée. L’ancienne ne fonctionne plus : donnez la nouvelle à votre application de calendrier.",
  },
  errors: {
    unknownSession: "Cette session ne peut pas être ajoutée à votre agenda.",
    generic: "Votre agenda n’a pas pu être modifié. Veuillez réessayer.",
  },
  calendarName: (edition: string) => `Mon agenda · ${edition}`,
};
