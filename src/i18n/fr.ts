import type { en } from "./en.ts";

/** French interface text. */
export const fr: typeof en = {
  lang: "Français",
  skipToContent: "Aller au contenu",
  nav: { home: "Accueil", programme: "Programme", speakers: "Intervenants", about: "À propos", venue: "Lieu et accès", faq: "FAQ", codeOfConduct: "Code de conduite", privacy: "Confidentialité" },
  switchLanguage: "English",
  switchLanguageLabel: "Read this page in English",
  timesIn: (zone: string) => `Heures de ${zone}`,
  notFound: { title: "Page introuvable", body: "La page demandée n’existe pas ou n’est pas publique." },
};
