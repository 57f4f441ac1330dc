import type { embedEn } from "../en/embed.ts";

/** Texte français du programme à intégrer et de sa page pour les organisateurs (fusionné dans fr.ts sous `embed`). */
export const embedFr: typeof embedEn = {
  widget: {
    title: "Programme",
    day: "Jour",
    allDays: "Tous les jours",
    track: "Thématique",
    allTracks: "Toutes les thématiques",
    loading: "Chargement du programme…",
    failed: "Le programme n’a pas pu être chargé.",
    none: "Aucune session ne correspond à ces choix.",
    countOne: "{n}\u00a0session",
    countOther: "{n}\u00a0sessions",
    filters: "Filtrer le programme",
    zone: "Les horaires sont ceux du forum ({zone}).",
    room: "Salle",
    speakers: "Intervenants",
  },
  page: {
    menu: "Programme pour d’autres sites",
    title: "Le programme sur d’autres sites",
    intro:
      "Les partenaires, le service de presse ou une institution d’accueil peuvent afficher le programme du forum sur leur propre site avec l’extrait ci-dessous\u00a0: un script de ce site et un élément. Il n’affiche que ce que le public peut voir ici, quelle que soit la personne connectée, et reste un lien vers le programme là où JavaScript ne s’exécute pas.",
    snippet: "L’extrait",
    copy: "Copier l’extrait",
    copied: "Copié.",
    noTracks: "Le programme publié n’a pas encore de thématique.",
    attributes: "Ses attributs",
    attribute: "Attribut",
    meaning: "Sens",
    lang: "«\u202fen\u202f» ou «\u202ffr\u202f»\u00a0: la langue du programme et de ses commandes. Sans lui, le paramètre «\u202flang\u202f» de l’adresse du script, sinon la langue de la page qui l’accueille (l’anglais pour toute autre).",
    dayAttr: "Un jour affiché d’abord, au format AAAA-MM-JJ (le visiteur peut en choisir un autre).",
    trackAttr: "Une thématique affichée d’abord, par son identifiant (celui des adresses du programme).",
    headingAttr: "Le niveau de son titre, de 2 à 6 (2 par défaut), pour s’insérer dans le plan de la page qui l’accueille.",
    tracks: "Les thématiques et leurs identifiants",
    preview: "Aperçu",
    previewHint: "Le programme tel qu’un autre site l’affiche, avec les attributs de l’extrait ci-dessus.",
    csp: "Un site doté d’une Content-Security-Policy autorise l’adresse de ce site dans ses directives script-src et connect-src.",
    noScript: "Sans JavaScript, les visiteurs voient le contenu de l’élément\u00a0: le lien vers le programme.",
  },
};
