import type { checkinEn } from "../en/checkin.ts";

/** Texte français de l’accueil des participants (fusionné dans fr.ts sous `checkin`). */
export const checkinFr: typeof checkinEn = {
  menu: "Accueil des participants",
  title: "Accueil des participants",
  intro: "Scannez le QR code du billet, saisissez ou collez son code, ou cherchez la personne par son nom.",
  ticketLegend: "Billet",
  ticket: "Code du billet",
  ticketHint: "Un lecteur qui saisit dans ce champ fonctionne aussi ; appuyez sur Entrée pour enregistrer l’arrivée.",
  checkInTicket: "Enregistrer l’arrivée de ce billet",
  scan: "Scanner avec la caméra",
  stopScan: "Arrêter la caméra",
  scanning: "Dirigez la caméra vers le QR code du billet.",
  scanFound: "Code lu, enregistrement de l’arrivée…",
  scanUnsupported:
    "Ce navigateur ne sait pas lire les QR codes avec la caméra : saisissez ou collez le code du billet, ou cherchez par nom.",
  scanDenied:
    "La caméra n’est pas disponible (autorisation refusée ou pas de caméra) : saisissez ou collez le code du billet, ou cherchez par nom.",
  video: "Image de la caméra",
  searchLegend: "Chercher par nom",
  search: "Nom, adresse e-mail, organisation ou code imprimé sur le billet",
  searchButton: "Chercher",
  results: (n: number, max: number) =>
    n === 0
      ? "Aucune inscription confirmée ne correspond."
      : n >= max
        ? `Les ${max} premiers résultats ; précisez la recherche.`
        : `${n} résultat${n === 1 ? "" : "s"}`,
  resultsCaption: "Inscriptions confirmées correspondant à la recherche",
  name: "Nom",
  organisation: "Organisation",
  category: "Catégorie",
  state: "État",
  action: "Arrivée",
  checkIn: "Enregistrer l’arrivée",
  checkInWho: (name: string) => `Enregistrer l’arrivée de ${name}`,
  checkedInAt: (time: string) => `Arrivée à ${time}`,
  notCheckedIn: "Pas encore arrivé·e",
  badge: "Imprimer le badge",
  badgeOf: (name: string) => `Imprimer le badge de ${name}`,
  done: (name: string) => `Arrivée de ${name} enregistrée.`,
  already: (name: string, time: string, desk = "") =>
    `L’arrivée de ${name} était déjà enregistrée à ${time}${desk ? ` au poste ${desk}` : ""}.`,
  back: "Accueil des participants",
  badgeTitle: (name: string) => `Badge : ${name}`,
  print: "Imprimer",
  printHint: "La page imprime le badge seul, sur une page.",
  badgeQr: "Code QR du billet",
  runs: {
    menu: "Imprimer des badges en série",
    title: "Impression de badges en série",
    intro:
      "Choisissez les badges à imprimer, et le papier. Les badges portent le nom tel que le participant l’a saisi, l’organisation, la couleur de la catégorie et le code QR du billet.",
    legend: "Quels badges",
    category: "Catégorie",
    allCategories: "Toutes les catégories",
    arrival: "Qui",
    arrivalAll: "Tous les inscrits confirmés",
    arrivalExpected: "Pas encore arrivés",
    arrivalDay: (day: string) => `Arrivés le ${day}`,
    layout: "Papier",
    layoutA6: "A6, un badge par page",
    layoutA4: "A4, quatre badges par feuille",
    show: "Afficher les badges",
    none: "Aucune inscription confirmée ne correspond : aucun badge à imprimer.",
    summary: (n: number, pages: number) => `${n} badge${n > 1 ? "s" : ""} sur ${pages} page${pages > 1 ? "s" : ""}.`,
    parts: (part: number, parts: number, total: number) => `Partie ${part} sur ${parts} (${total} badges en tout).`,
    partLink: (part: number) => `Partie ${part}`,
    partsNav: "Parties de cette série",
    printHint:
      "Imprimez en taille réelle (100 %), marges « Aucune », sur le papier choisi ici (la fenêtre d’impression du navigateur propose les deux) ; découpez les feuilles A4 en quatre.",
    preview: "Badges à imprimer",
  },
  deskLabel: "Poste",
  deskHint: "Le nom de ce poste d’accueil, montré aux autres postes (« arrivée déjà enregistrée au poste 2 »).",
  sound: "Son après chaque lecture",
  admitted: "Admis",
  alreadyIn: "Déjà arrivé",
  refused: "Refusé",
  alreadyAt: (time: string, desk: string) =>
    desk ? `Arrivée déjà enregistrée à ${time} au poste ${desk}.` : `Arrivée déjà enregistrée à ${time}.`,
  offlineNote: "Hors ligne : enregistré sur cet appareil, envoyé au retour du réseau.",
  unknownOffline: "Absent de la liste de ce poste (hors ligne) : vérifiez le code, ou cherchez par nom au retour du réseau.",
  online: "En ligne",
  offline: "Hors ligne : les lectures sont gardées sur cet appareil et envoyées au retour du réseau.",
  queued: (n: number) => (n === 0 ? "" : `${n} lecture${n === 1 ? "" : "s"} en attente d’envoi.`),
  counts: "Arrivées",
  countsOf: (inside: number, expected: number) => `${inside} sur ${expected}`,
  overall: "Toutes catégories",
  conflicts: "À vérifier : lectures faites hors ligne auxquelles le serveur a répondu autrement",
  conflictAlready: (name: string, time: string, desk: string) =>
    desk
      ? `L’arrivée de ${name} était déjà enregistrée à ${time} au poste ${desk}.`
      : `L’arrivée de ${name} était déjà enregistrée à ${time}.`,
  conflictRefused: (name: string, reason: string) => `${name} a été refusé : ${reason}`,
  dismiss: "Vider cette liste",
  signOutErase: "Se déconnecter et effacer cet appareil",
  signOutEraseHint:
    "Le poste garde sur cet appareil la liste du jour des participants pour fonctionner hors ligne ; elle est effacée à la déconnexion et en fin de journée.",
  networkError: "Le serveur est injoignable : la lecture est gardée sur cet appareil.",
  errors: {
    malformed:
      "Ce n’est pas un code de billet (le lecteur a lu autre chose). Scannez à nouveau, ou saisissez le code imprimé sous le QR code.",
    stale: "Cette lecture date d’un autre jour : elle ne compte pas aujourd’hui. Scannez le billet à nouveau.",
    not_found: "Aucune inscription n’a ce code de billet. Vérifiez le code, ou cherchez par nom.",
    pending_email: "Non confirmée : la personne n’a jamais confirmé son adresse e-mail. Son arrivée ne peut pas être enregistrée.",
    pending_review:
      "Non confirmée : l’inscription est encore en cours d’examen par les organisateurs. Son arrivée ne peut pas encore être enregistrée.",
    waitlisted: "Non confirmée : l’inscription est sur liste d’attente, sans place. Son arrivée ne peut pas être enregistrée.",
    cancelled: "L’inscription a été annulée. Son arrivée ne peut pas être enregistrée.",
    rejected: "L’inscription n’a pas été acceptée par les organisateurs. Son arrivée ne peut pas être enregistrée.",
  },
  refusedWho: (name: string, reason: string) => `${name} : ${reason}`,
};
