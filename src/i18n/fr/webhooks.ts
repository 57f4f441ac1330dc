import type { webhooksEn } from "../en/webhooks.ts";

/** French text of the organizers' webhook pages. */

// French typography: a no-break space before the two-part punctuation marks.
const NBSP = "\u00a0";
/** Narrow no-break space, before ; ! ? */
const NNBSP = "\u202f";
/** French spacing of the two-part punctuation in a sentence written with plain spaces. */
const spaced = (text: string) => text.replace(/ :/g, `${NBSP}:`).replace(/ ([;!?])/g, `${NNBSP}$1`);
const count = (n: number) => new Intl.NumberFormat("fr-FR").format(n);

export const webhooksFr: typeof webhooksEn = {
  title: "Webhooks",
  back: "Organisateurs",
  intro: spaced(
    "Un webhook prévient un autre système (une imprimante de badges, un CRM, le site du service de presse) quand quelque chose se passe ici : le site envoie une requête JSON signée à l’adresse que vous indiquez, pour chaque type d’événement choisi. La requête désigne l’inscription, la proposition ou la version du programme par son identifiant, jamais par les données d’une personne ; le système destinataire demande à l’API ce dont il a besoin.",
  ),
  scheme: spaced(
    "Chaque requête porte les en-têtes webhook-id (le même à chaque tentative), webhook-timestamp et webhook-signature (HMAC-SHA256 de l’identifiant, de l’horodatage et du corps avec le secret du point de réception, comme dans Standard Webhooks). Le système destinataire doit vérifier la signature et ignorer un identifiant déjà traité : après un échec, le même événement peut arriver deux fois.",
  ),
  endpoints: "Points de réception",
  none: "Aucun point de réception pour l’instant.",
  caption: "Points de réception, du plus ancien au plus récent",
  url: "Adresse (URL)",
  urlHint: "Une adresse https:// sur Internet. Les adresses de réseaux privés et locaux sont refusées.",
  urlHintPrivate: "Les adresses de réseaux privés et locaux sont permises sur ce serveur (WEBHOOKS_ALLOW_PRIVATE).",
  description: "Nom",
  descriptionHint: spaced("Pour vous : de quel système il s’agit (facultatif)."),
  events: "Événements",
  eventsHint: "Les événements que ce point de réception reçoit.",
  groups: { registration: "Inscriptions", release: "Programme", proposal: "Appel à communications" },
  eventNames: {
    "registration.created": "Inscription créée",
    "registration.confirmed": "Inscription confirmée",
    "registration.waitlisted": "Mise en liste d’attente",
    "registration.promoted": "Sortie de la liste d’attente",
    "registration.rejected": "Inscription refusée",
    "registration.cancelled": "Inscription annulée",
    "registration.checked_in": "Accueil sur place",
    "release.published": "Version du programme publiée",
    "proposal.submitted": "Proposition soumise",
    "proposal.accepted": "Proposition acceptée",
    "proposal.rejected": "Proposition refusée",
    "proposal.confirmed": "Proposition confirmée par l’intervenant",
  },
  eventCount: (n: number) => (n >= 2 ? `${count(n)} types d’événement` : `${count(n)} type d’événement`),
  status: "État",
  statusHeading: (state: string) => `État${NBSP}: ${state}`,
  enabled: "Activé",
  disabled: "Désactivé",
  deliveries: "Envois",
  counts: (c: { delivered: number; pending: number; failed: number }) =>
    `${count(c.delivered)} remis, ${count(c.pending)} en attente, ${count(c.failed)} en échec`,
  open: "Envois et réglages",
  openLabel: (url: string) => `Envois et réglages de ${url}`,
  add: "Ajouter un point de réception",
  addButton: "Ajouter le point de réception",
  secretTitle: "Le secret du point de réception",
  secretOnce: spaced(
    "Copiez ce secret dans le système destinataire maintenant : il n’est montré que cette fois. Le site le garde chiffré, pour signer ses requêtes ; personne ne peut plus le lire ici. S’il est perdu, créez-en un nouveau.",
  ),
  secretLabel: "Secret",
  secretHint: (hint: string) => `Secret finissant par …${hint}`,
  created: "Le point de réception est ajouté. Il reçoit désormais les événements choisis.",
  rotated: spaced("Le point de réception a un nouveau secret. Les requêtes sont signées avec lui désormais ; l’ancien ne fonctionne plus."),
  done: {
    updated: "Les réglages du point de réception sont enregistrés.",
    enabled: spaced("Le point de réception est activé : il reçoit les nouveaux événements, et ce qui l’attendait est envoyé."),
    disabled: spaced("Le point de réception est désactivé : il ne reçoit rien tant qu’il n’est pas réactivé."),
    deleted: "Le point de réception et ses envois sont supprimés.",
    resent: spaced("L’envoi est remis en file avec le même identifiant ; il part sous peu."),
  },
  endpoint: (url: string) => `Point de réception ${url}`,
  settings: "Réglages",
  save: "Enregistrer les réglages",
  enable: "Activer",
  disable: "Désactiver",
  enableHint: spaced("Un point de réception désactivé ne reçoit aucun nouvel événement ; ce qui était en file attend qu’il soit réactivé."),
  rotate: "Créer un nouveau secret",
  rotateHint: spaced("Le secret actuel cesse aussitôt de fonctionner : mettez à jour le système destinataire juste après."),
  deleteTitle: "Supprimer le point de réception",
  deleteConfirm: "Supprimer ce point de réception et la trace de ses envois",
  deleteButton: "Supprimer",
  createdBy: (email: string, when: string) => `Ajouté par ${email} le ${when}`,
  list: "Envois",
  listIntro: spaced(
    "Une ligne par événement envoyé à ce point de réception, du plus récent au plus ancien. Un envoi est retenté après une erreur du serveur, un délai dépassé ou une erreur réseau, à intervalles croissants, puis abandonné ; un refus (4xx autre que 408 et 429) ou une redirection le fait échouer aussitôt.",
  ),
  filter: "Filtrer",
  search: "Identifiant ou type d’événement",
  state: "État",
  all: "Tous",
  states: { pending: "En attente", sending: "En cours d’envoi", delivered: "Remis", failed: "En échec" },
  results: (n: number) => (n >= 2 ? `${count(n)} envois` : `${count(n)} envoi`),
  empty: "Aucun envoi ne correspond.",
  deliveriesCaption: "Envois, du plus récent au plus ancien",
  event: "Événement",
  at: "Mis en file",
  attempts: "Tentatives",
  lastAnswer: "Dernière réponse",
  noAnswer: "Pas de réponse",
  nextTry: "Prochain essai",
  action: "Action",
  resend: "Renvoyer",
  resendLabel: (id: string) => `Renvoyer${NBSP}: événement ${id}`,
  page: (page: number, pages: number) => `Page ${page} sur ${pages}`,
  errors: {
    urlInvalid: "Saisissez une adresse complète commençant par https://, comme https://example.org/hooks.",
    urlHttps: "L’adresse doit commencer par https:// (ce serveur n’envoie pas de webhooks en http simple).",
    urlCredentials: spaced(
      "Retirez le nom d’utilisateur et le mot de passe de l’adresse : la signature prouve que la requête vient de ce site.",
    ),
    urlFragment: "Retirez de l’adresse la partie après #.",
    urlPrivate:
      "Cette adresse mène à une adresse de réseau privé, local ou réservé, vers laquelle les webhooks ne peuvent pas être envoyés. Indiquez l’adresse publique du système destinataire.",
    urlUnresolvable: "Ce nom d’hôte ne correspond à aucune adresse. Vérifiez son orthographe.",
    noEvents: "Choisissez au moins un événement.",
    confirmDelete: "Cochez la case pour confirmer la suppression.",
    notFound: "Ce point de réception ou cet envoi n’existe plus.",
    sending: "Cet envoi est déjà en attente ou en cours.",
  },
};
