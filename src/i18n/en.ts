/** English interface text. French in fr.ts has the same keys. */
export const en = {
  lang: "English",
  skipToContent: "Skip to content",
  nav: { home: "Home", programme: "Programme", speakers: "Speakers", about: "About", venue: "Venue & travel", faq: "FAQ", codeOfConduct: "Code of conduct", privacy: "Privacy" },
  switchLanguage: "Français",
  switchLanguageLabel: "Lire cette page en français",
  timesIn: (zone: string) => `Times in ${zone} time`,
  notFound: { title: "Page not found", body: "The page you asked for does not exist or is not public." },
};
