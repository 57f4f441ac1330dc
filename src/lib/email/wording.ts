import { type Locale } from "../locale.ts";
import type { TemplateName } from "./payloads.ts";

/**
 * The words of every e-mail, English and French. Each template is a subject and a list of blocks;
 * templates.ts lays them out as HTML (escaping every value) and as plain text. Blocks hold plain text
 * only, never markup, so that escaping them once is enough.
 */

/** One piece of a message body. */
export type Block =
  | { kind: "p"; text: string }
  /** A link to act on: a button in HTML, the bare URL in plain text. */
  | { kind: "action"; label: string; href: string }
  /** Words of someone else (the organizers' reason), set apart. */
  | { kind: "quote"; text: string }
  /** Labelled facts, e.g. when and where. */
  | { kind: "facts"; rows: [label: string, value: string][] }
  /** The QR code of the ticket (inline image in HTML, a note about the attachment in text). */
  | { kind: "ticket" }
  /** A short code to type (large and monospaced in HTML, on its own line in text). */
  | { kind: "code"; text: string };

/** One session of a release message, formatted: `when` and `room` blank for a cancelled session. */
export interface ReleaseLine {
  title: string;
  kind: "added" | "moved" | "changed" | "cancelled";
  when: string;
  room: string;
}

/** The values a template may use, already formatted for the message's language. */
export interface Vars {
  name: string;
  /** Short name of the edition, e.g. "Safer World Forum". */
  shortName: string;
  dates: string;
  venue: string;
  address: string;
  /** Label of the registration's category. */
  category: string;
  /** Private manage page of the registration. */
  manageUrl: string;
  /** Public registration form. */
  registerUrl: string;
  /** Hours an unconfirmed registration lives, formatted ("48 hours"). */
  hours: string;
  reason: string;
  contactEmail: string | undefined;
  /** One-time sign-in link (sign-in message only). */
  signInUrl: string;
  /** Short sign-in code (sign-in message only). */
  code: string;
  /** Minutes a sign-in link and code stay valid, formatted ("15 minutes"). */
  minutes: string;
  /** Subject of an organizers' announcement, as they wrote it in this language (announcement only). */
  subject: string;
  /** Plain-text body of an organizers' announcement; blank lines separate paragraphs (announcement only). */
  body: string;
  /** Number of the release (release message only). */
  release: string;
  /** The affected sessions (release message only). */
  changes: ReleaseLine[];
  /** Public changelog page. */
  changelogUrl: string;
  /** The registration's certificate of attendance (PDF, in the message's language; certificate message only). */
  certificateUrl: string;
  /** Title of the proposal (call-for-papers messages). */
  title: string;
  /** Name of the speaker who invites a co-speaker. */
  inviter: string;
  /** Who withdrew a proposal; blank when the recipient did (their receipt). */
  by: string;
  /** The co-speaker who joined a proposal: their name, or the address invited while they have none. */
  speaker: string;
  /** The address that declined an invitation. */
  invitee: string;
  /** The proposal's page for its speakers. */
  proposalUrl: string;
  /** The message's one-time link: invitation, late submission or confirmation. */
  linkUrl: string;
  /** Days an invitation's link works. */
  invitationDays: number;
  /** The public call for papers page. */
  cfpUrl: string;
  /** Until when a late-submission link works, formatted in the edition's zone. */
  until: string;
  /** The one format a late-submission link is for ("" for any). */
  formatName: string;
}

/** Subject and body of one message. */
export interface Composed {
  subject: string;
  blocks: Block[];
  /** Why the recipient gets this message, when it is not because of a registration. */
  why?: string;
}

/** What every message of one language shares, and its templates. */
export interface Wording {
  greeting: (name: string) => string;
  signOff: string;
  copyLink: string;
  contact: (email: string) => string;
  why: string;
  when: string;
  where: string;
  hours: (n: number) => string;
  minutes: (n: number) => string;
  ticket: { intro: string; alt: string; htmlNote: string; textNote: string };
  templates: Record<TemplateName, (v: Vars) => Composed>;
}

const p = (text: string): Block => ({ kind: "p", text });
const action = (label: string, href: string): Block => ({ kind: "action", label, href });
/** The organizers' own text: one paragraph per run of lines between blank lines (their line breaks kept). */
const paragraphs = (text: string): Block[] =>
  text
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map(p);

// French typography: a no-break space before the two-part punctuation marks and inside « ».
const NBSP = "\u00a0";
/** Narrow no-break space, before ; ! ? and inside « ». */
const NNBSP = "\u202f";
const q = (text: string) => `«${NNBSP}${text}${NNBSP}»`;

const en: Wording = {
  greeting: (name) => (name ? `Dear ${name},` : "Hello,"),
  signOff: "The organizing team",
  copyLink: "If the button does not work, copy this address into your browser:",
  contact: (email) => `Questions? Write to ${email}.`,
  why: "You receive this message because this e-mail address was used to register for the forum.",
  when: "When",
  where: "Where",
  hours: (n) => `${new Intl.NumberFormat("en-GB").format(n)} ${n === 1 ? "hour" : "hours"}`,
  minutes: (n) => `${new Intl.NumberFormat("en-GB").format(n)} ${n === 1 ? "minute" : "minutes"}`,
  ticket: {
    intro: "Your ticket: show this QR code at the registration desk, on your phone or printed.",
    alt: "QR code of your ticket",
    htmlNote:
      "The ticket is also attached to this message, to print (ticket.pdf) or to keep on your phone (ticket.png), with a calendar file (forum.ics) that adds the forum to your calendar.",
    textNote:
      "Your ticket is attached to this message, to print (ticket.pdf) or to keep on your phone (ticket.png): show its QR code at the registration desk, on your phone or printed. It is also on your registration page (link below). The calendar file forum.ics adds the forum to your calendar.",
  },
  templates: {
    "registration.confirm_address": (v) => ({
      subject: "Confirm your e-mail address",
      blocks: [
        p("Thank you for registering for the forum. Please confirm your e-mail address to complete your registration:"),
        action("Confirm my e-mail address", v.manageUrl),
        p(`This link expires after ${v.hours}. Without confirmation by then, the registration lapses and you will need to register again.`),
        p("If you did not register, ignore this message: nothing happens without confirmation."),
      ],
    }),
    "registration.manage_link": (v) => ({
      subject: "Your link to your registration",
      blocks: [
        p(
          "You asked for the link to your registration for the forum. Here it is: it lets you view, change or cancel your registration, and download your ticket.",
        ),
        action("Manage my registration", v.manageUrl),
        p(
          "If you did not ask for it, you can ignore this message: nothing was changed. The link is personal: anyone who has it can change or cancel your registration, so do not share it.",
        ),
      ],
    }),
    "registration.already_registered": (v) => ({
      subject: "Your registration",
      blocks: [
        p(
          "Someone, perhaps you, tried to register for the forum again with this e-mail address. A registration already exists for it, so nothing was changed.",
        ),
        p("Here is your private link to view, change or cancel your registration:"),
        action("Manage my registration", v.manageUrl),
        p(
          "If it was not you, you can ignore this message. The link is personal: anyone who has it can change or cancel your registration, so do not share it.",
        ),
      ],
    }),
    "registration.under_review": (v) => ({
      subject: "Registration received: under review",
      blocks: [
        p(`Thank you: your e-mail address is confirmed and your registration in the “${v.category}” category has been received.`),
        p(
          "Registrations in this category are reviewed by the organizers before they are confirmed. We will write to you as soon as a decision has been made.",
        ),
        p("Meanwhile, you can view or change your registration:"),
        action("Manage my registration", v.manageUrl),
      ],
    }),
    "registration.back_to_review": (v) => ({
      subject: "Your changes are being reviewed",
      blocks: [
        p(
          `You changed details of your registration (“${v.category}” category) that the organizers check, so your registration goes back to review.`,
        ),
        p("Your seat is kept in the meantime. We will write to you once the review is complete."),
        p("You can view or change your registration:"),
        action("Manage my registration", v.manageUrl),
      ],
    }),
    "registration.confirmed": (v) => ({
      subject: "Registration confirmed: your ticket",
      blocks: [
        p(`Your registration for the forum is confirmed (“${v.category}” category). We look forward to welcoming you.`),
        ...enTicket(v),
      ],
    }),
    "registration.promoted": (v) => ({
      subject: "A seat is free: your registration is confirmed",
      blocks: [
        p(
          `Good news: a seat has become available and your registration, which was on the waiting list, is now confirmed (“${v.category}” category).`,
        ),
        ...enTicket(v),
      ],
    }),
    "registration.waitlisted": (v) => ({
      subject: "You are on the waiting list",
      blocks: [
        p(`The “${v.category}” category is full for now, so your registration is on the waiting list.`),
        p(
          "When a seat frees up, it goes to the next person on the list, in order of registration, and we write to you at once. You have nothing more to do.",
        ),
        p("You can view or cancel your registration at any time:"),
        action("Manage my registration", v.manageUrl),
      ],
    }),
    "registration.rejected": (v) => ({
      subject: "Your registration was not accepted",
      blocks: [
        p("We are sorry: the organizers were unable to accept your registration for the forum."),
        ...(v.reason ? [p("Their reason:"), { kind: "quote", text: v.reason } as const] : []),
        ...(v.contactEmail ? [p(`If you think this is a mistake, please write to ${v.contactEmail}.`)] : []),
      ],
    }),
    "registration.cancelled": (v) => ({
      subject: "Registration cancelled",
      blocks: [
        p("Your registration for the forum has been cancelled. Any ticket issued for it is no longer valid."),
        p("If you change your mind, you are welcome to register again:"),
        action("Register", v.registerUrl),
      ],
    }),
    "auth.sign_in": (v) => ({
      subject: "Your sign-in link",
      blocks: [
        p(`To sign in to the forum’s website, use this link. It works once, within the next ${v.minutes}:`),
        action("Sign in", v.signInUrl),
        p("Or type this code on the sign-in page:"),
        { kind: "code", text: v.code },
        p("If you asked more than once, use the most recent message."),
        p("If you did not ask to sign in, ignore this message: nobody can sign in without this link or code. Do not share them."),
      ],
      why: "You receive this message because someone asked to sign in to the forum’s website with this e-mail address.",
    }),
    announcement: (v) => ({ subject: v.subject, blocks: paragraphs(v.body) }),
    "attendance.certificate": (v) => ({
      subject: "Your certificate of attendance",
      blocks: [
        p(
          `Thank you for coming to the forum in ${v.venue}. Your certificate of attendance is ready: it lists the days you were checked in.`,
        ),
        action("Download my certificate (PDF)", v.certificateUrl),
        p("You can also find it on your registration page at any time:"),
        action("My registration", v.manageUrl),
        p("The links are personal: do not share them."),
      ],
      why: "You receive this message because you were checked in at the forum.",
    }),
    "programme.release": (v) => ({
      subject: `Version ${v.release} of the programme changes sessions you follow`,
      blocks: [
        p(`Version ${v.release} of the forum’s programme has been published. It changes these sessions, which you speak at or starred:`),
        p(
          v.changes
            .map((c) => {
              const place = [c.when, c.room].filter(Boolean).join(", ");
              if (c.kind === "cancelled") return `${c.title}: cancelled`;
              if (c.kind === "added") return `${c.title}: scheduled for ${place}`;
              return c.kind === "moved" ? `${c.title}: moved to ${place}` : `${c.title}: changed (${place})`;
            })
            .join("\n"),
        ),
        p(
          "The attached calendar file (sessions.ics) updates the sessions still scheduled in your calendar. Every change is listed on the changelog:",
        ),
        action("See what changed", v.changelogUrl),
      ],
      why: "You receive this message because you speak at, or starred, a session of the forum.",
    }),
    "cfp.submitted": (v) => ({
      subject: "Proposal received",
      blocks: [
        p(`Thank you: your proposal “${v.title}” has been submitted to the forum’s call for papers.`),
        p(
          "The programme committee will review it after the deadline, and we will write to you when a decision has been made. Until the deadline you can still edit it:",
        ),
        action("See my proposal", v.proposalUrl),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.invitation": (v) => ({
      subject: `${v.inviter} invites you to speak`,
      blocks: [
        p(`${v.inviter} invites you to join the proposal “${v.title}” as a co-speaker at the forum.`),
        p(
          "Open this link to accept or decline. To accept, you sign in to the forum’s website with your e-mail address (no password needed):",
        ),
        action("See the invitation", v.linkUrl),
        p(`The link works for ${v.invitationDays} days.`),
        p("If you do not know this person or do not wish to speak, you can decline from the same page, or ignore this message."),
      ],
      why: "You receive this message because a speaker of the forum’s call for papers invited this e-mail address.",
    }),
    "cfp.late": (v) => ({
      subject: "You may submit a proposal after the deadline",
      blocks: [
        p(
          v.formatName
            ? `The organizers invite you to submit a proposal (${v.formatName}) to the forum’s call for papers, although its deadline has passed.`
            : "The organizers invite you to submit a proposal to the forum’s call for papers, although its deadline has passed.",
        ),
        { kind: "facts", rows: [["Until", v.until]] },
        p("Sign in with this e-mail address to create, edit and submit your proposal:"),
        action("Submit a proposal", v.linkUrl),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.accepted": (v) => ({
      subject: "Your proposal is accepted",
      blocks: [
        p(`Congratulations: the programme committee has accepted your proposal “${v.title}”.`),
        p("Please confirm that you will present it (or let us know that you cannot). It is scheduled only once confirmed:"),
        action("Confirm or decline", v.linkUrl),
        p("Your proposal and any message from the organizers:"),
        action("See my proposal", v.proposalUrl),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.rejected": (v) => ({
      subject: "Your proposal was not selected",
      blocks: [
        p(`Thank you for proposing “${v.title}”. We are sorry: the programme committee could not include it in this year’s programme.`),
        ...(v.reason ? [p("The committee’s words:"), { kind: "quote", text: v.reason } as const] : []),
        p("We hope to welcome you at the forum nevertheless."),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.message": (v) => ({
      subject: `About your proposal “${v.title}”`,
      blocks: [
        p(`The organizers wrote about your proposal “${v.title}”:`),
        { kind: "quote", text: v.body },
        action("See my proposal", v.proposalUrl),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.withdrawn": (v) => ({
      subject: "Proposal withdrawn",
      blocks: [
        p(
          v.by
            ? `${v.by} has withdrawn the proposal “${v.title}”, of which you are a speaker, from the forum’s call for papers.`
            : `You have withdrawn your proposal “${v.title}” from the forum’s call for papers.`,
        ),
        p("The programme committee will not review it, and it can no longer be edited or submitted. It stays on your list of proposals:"),
        action("See the proposal", v.proposalUrl),
        ...(v.contactEmail ? [p(`If this is a mistake, please write to ${v.contactEmail}.`)] : []),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.speaker_joined": (v) => ({
      subject: `${v.speaker} joined your proposal`,
      blocks: [
        p(`${v.speaker} accepted the invitation and is now a co-speaker of your proposal “${v.title}”.`),
        p("The proposal’s page lists its speakers and invitations:"),
        action("See my proposal", v.proposalUrl),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.invitation_declined": (v) => ({
      subject: "Your invitation was declined",
      blocks: [
        p(`${v.invitee} declined your invitation to join the proposal “${v.title}” as a co-speaker.`),
        p("You can invite someone else from the proposal’s page:"),
        action("See my proposal", v.proposalUrl),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.confirmed": (v) => ({
      subject: "Your session is confirmed",
      blocks: [
        p(`Thank you: the proposal “${v.title}” is confirmed and is now a session of the forum’s programme.`),
        p("Your session will be scheduled; you will be told when and where."),
        p("Until then, please keep your speaker profile and availability up to date: the organizers use them to schedule the session."),
        action("See my proposal", v.proposalUrl),
      ],
      why: EN_CFP_WHY,
    }),
    "cfp.declined": (v) => ({
      subject: "Your proposal will not be presented",
      blocks: [
        p(`The acceptance of the proposal “${v.title}” has been declined: it will not be presented at the forum.`),
        p(
          v.contactEmail
            ? `Thank you for letting us know. If this is a mistake, please write to ${v.contactEmail} as soon as possible.`
            : "Thank you for letting us know.",
        ),
        action("See my proposal", v.proposalUrl),
      ],
      why: EN_CFP_WHY,
    }),
  },
};

const EN_CFP_WHY = "You receive this message because you are a speaker of a proposal to the forum’s call for papers.";

function enTicket(v: Vars): Block[] {
  return [
    {
      kind: "facts",
      rows: [
        [en.when, v.dates],
        [en.where, `${v.venue}, ${v.address}`],
      ],
    },
    { kind: "ticket" },
    p("If you can no longer come, please cancel your registration from your page so that your seat can go to someone on the waiting list:"),
    action("Manage my registration", v.manageUrl),
  ];
}

const fr: Wording = {
  greeting: (name) => (name ? `Bonjour ${name},` : "Bonjour,"),
  signOff: "L’équipe d’organisation",
  copyLink: `Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur${NBSP}:`,
  contact: (email) => `Une question${NNBSP}? Écrivez à ${email}.`,
  why: "Vous recevez ce message parce que cette adresse e-mail a été utilisée pour s’inscrire au forum.",
  when: "Quand",
  where: "Où",
  hours: (n) => `${new Intl.NumberFormat("fr-FR").format(n)} ${n >= 2 ? "heures" : "heure"}`,
  minutes: (n) => `${new Intl.NumberFormat("fr-FR").format(n)} ${n >= 2 ? "minutes" : "minute"}`,
  ticket: {
    intro: `Votre billet${NBSP}: présentez ce code QR à l’accueil, sur votre téléphone ou imprimé.`,
    alt: "Code QR de votre billet",
    htmlNote:
      "Le billet est aussi joint à ce message, à imprimer (ticket.pdf) ou à garder sur votre téléphone (ticket.png), avec un fichier de calendrier (forum.ics) qui ajoute le forum à votre calendrier.",
    textNote: `Votre billet est joint à ce message, à imprimer (ticket.pdf) ou à garder sur votre téléphone (ticket.png)${NBSP}: présentez son code QR à l’accueil, sur votre téléphone ou imprimé. Il figure aussi sur la page de votre inscription (lien ci-dessous). Le fichier de calendrier forum.ics ajoute le forum à votre calendrier.`,
  },
  templates: {
    "registration.confirm_address": (v) => ({
      subject: "Confirmez votre adresse e-mail",
      blocks: [
        p(`Merci pour votre inscription au forum. Pour la finaliser, veuillez confirmer votre adresse e-mail${NBSP}:`),
        action("Confirmer mon adresse e-mail", v.manageUrl),
        p(
          `Ce lien expire au bout de ${v.hours}. Sans confirmation d’ici là, l’inscription est abandonnée et il faudra vous inscrire de nouveau.`,
        ),
        p(`Si vous n’êtes pas à l’origine de cette inscription, ignorez ce message${NBSP}: rien ne se fera sans confirmation.`),
      ],
    }),
    "registration.manage_link": (v) => ({
      subject: "Le lien de votre inscription",
      blocks: [
        p(
          `Vous avez demandé le lien de votre inscription au forum. Le voici${NBSP}: il vous permet de consulter, modifier ou annuler votre inscription, et de télécharger votre billet.`,
        ),
        action("Gérer mon inscription", v.manageUrl),
        p(
          `Si vous n’avez rien demandé, vous pouvez ignorer ce message${NBSP}: rien n’a été modifié. Ce lien est personnel${NBSP}: toute personne qui le détient peut modifier ou annuler votre inscription, ne le partagez pas.`,
        ),
      ],
    }),
    "registration.already_registered": (v) => ({
      subject: "Votre inscription",
      blocks: [
        p(
          `Quelqu’un, peut-être vous-même, a tenté de s’inscrire de nouveau au forum avec cette adresse e-mail. Une inscription existe déjà pour cette adresse${NBSP}: rien n’a été modifié.`,
        ),
        p(`Voici votre lien personnel pour consulter, modifier ou annuler votre inscription${NBSP}:`),
        action("Gérer mon inscription", v.manageUrl),
        p(
          `Si ce n’était pas vous, vous pouvez ignorer ce message. Ce lien est personnel${NBSP}: toute personne qui le détient peut modifier ou annuler votre inscription, ne le partagez pas.`,
        ),
      ],
    }),
    "registration.under_review": (v) => ({
      subject: `Inscription reçue${NBSP}: en cours d’examen`,
      blocks: [
        p(`Merci${NBSP}: votre adresse e-mail est confirmée et votre inscription dans la catégorie ${q(v.category)} a bien été reçue.`),
        p(
          "Les inscriptions de cette catégorie sont examinées par les organisateurs avant d’être confirmées. Nous vous écrirons dès qu’une décision aura été prise.",
        ),
        p(`En attendant, vous pouvez consulter ou modifier votre inscription${NBSP}:`),
        action("Gérer mon inscription", v.manageUrl),
      ],
    }),
    "registration.back_to_review": (v) => ({
      subject: "Vos modifications sont en cours d’examen",
      blocks: [
        p(
          `Vous avez modifié des informations de votre inscription (catégorie ${q(v.category)}) que les organisateurs vérifient${NBSP}: votre inscription est donc de nouveau en cours d’examen.`,
        ),
        p("Votre place vous reste réservée en attendant. Nous vous écrirons une fois l’examen terminé."),
        p(`Vous pouvez consulter ou modifier votre inscription${NBSP}:`),
        action("Gérer mon inscription", v.manageUrl),
      ],
    }),
    "registration.confirmed": (v) => ({
      subject: `Inscription confirmée${NBSP}: votre billet`,
      blocks: [
        p(`Votre inscription au forum est confirmée (catégorie ${q(v.category)}). Nous serons heureux de vous accueillir.`),
        ...frTicket(v),
      ],
    }),
    "registration.promoted": (v) => ({
      subject: `Une place s’est libérée${NBSP}: votre inscription est confirmée`,
      blocks: [
        p(
          `Bonne nouvelle${NBSP}: une place s’est libérée et votre inscription, qui était en liste d’attente, est maintenant confirmée (catégorie ${q(v.category)}).`,
        ),
        ...frTicket(v),
      ],
    }),
    "registration.waitlisted": (v) => ({
      subject: "Vous êtes en liste d’attente",
      blocks: [
        p(`La catégorie ${q(v.category)} est complète pour le moment${NBSP}: votre inscription est donc en liste d’attente.`),
        p(
          "Dès qu’une place se libère, elle revient à la personne suivante sur la liste, dans l’ordre des inscriptions, et nous vous écrivons aussitôt. Vous n’avez rien d’autre à faire.",
        ),
        p(`Vous pouvez consulter ou annuler votre inscription à tout moment${NBSP}:`),
        action("Gérer mon inscription", v.manageUrl),
      ],
    }),
    "registration.rejected": (v) => ({
      subject: "Votre inscription n’a pas été acceptée",
      blocks: [
        p(`Nous sommes désolés${NBSP}: les organisateurs n’ont pas pu accepter votre inscription au forum.`),
        ...(v.reason ? [p(`Motif indiqué par les organisateurs${NBSP}:`), { kind: "quote", text: v.reason } as const] : []),
        ...(v.contactEmail ? [p(`Si vous pensez qu’il s’agit d’une erreur, écrivez-nous à ${v.contactEmail}.`)] : []),
      ],
    }),
    "registration.cancelled": (v) => ({
      subject: "Inscription annulée",
      blocks: [
        p("Votre inscription au forum a été annulée. Tout billet émis pour cette inscription n’est plus valable."),
        p(`Si vous changez d’avis, vous pouvez vous inscrire de nouveau${NBSP}:`),
        action("S’inscrire", v.registerUrl),
      ],
    }),
    "auth.sign_in": (v) => ({
      subject: "Votre lien de connexion",
      blocks: [
        p(
          `Pour vous connecter au site du forum, utilisez ce lien. Il ne fonctionne qu’une fois, dans les ${v.minutes} qui viennent${NBSP}:`,
        ),
        action("Me connecter", v.signInUrl),
        p(`Ou saisissez ce code sur la page de connexion${NBSP}:`),
        { kind: "code", text: v.code },
        p("Si vous avez fait plusieurs demandes, utilisez le message le plus récent."),
        p(
          `Si vous n’avez pas demandé à vous connecter, ignorez ce message${NBSP}: personne ne peut se connecter sans ce lien ou ce code. Ne les communiquez à personne.`,
        ),
      ],
      why: "Vous recevez ce message parce que quelqu’un a demandé à se connecter au site du forum avec cette adresse e-mail.",
    }),
    announcement: (v) => ({ subject: v.subject, blocks: paragraphs(v.body) }),
    "attendance.certificate": (v) => ({
      subject: "Votre attestation de présence",
      blocks: [
        p(
          `Merci d’être venu au forum, au ${v.venue}. Votre attestation de présence est prête${NBSP}: elle indique les journées où votre arrivée a été enregistrée.`,
        ),
        action("Télécharger mon attestation (PDF)", v.certificateUrl),
        p(`Vous la trouverez aussi à tout moment sur la page de votre inscription${NBSP}:`),
        action("Mon inscription", v.manageUrl),
        p(`Ces liens sont personnels${NBSP}: ne les partagez pas.`),
      ],
      why: "Vous recevez ce message car votre arrivée a été enregistrée au forum.",
    }),
    "programme.release": (v) => ({
      subject: `La version ${v.release} du programme modifie des sessions que vous suivez`,
      blocks: [
        p(
          `La version ${v.release} du programme du forum a été publiée. Elle modifie ces sessions, où vous intervenez ou que vous avez mises en favori${NBSP}:`,
        ),
        p(
          v.changes
            .map((c) => {
              const place = [c.when, c.room].filter(Boolean).join(", ");
              if (c.kind === "cancelled") return `${c.title}${NBSP}: annulée`;
              if (c.kind === "added") return `${c.title}${NBSP}: programmée le ${place}`;
              return c.kind === "moved" ? `${c.title}${NBSP}: déplacée au ${place}` : `${c.title}${NBSP}: modifiée (${place})`;
            })
            .join("\n"),
        ),
        p(
          `Le fichier de calendrier joint (sessions.ics) met à jour dans votre calendrier les sessions toujours programmées. Toutes les modifications sont détaillées sur la page Modifications du programme${NBSP}:`,
        ),
        action("Voir les modifications", v.changelogUrl),
      ],
      why: "Vous recevez ce message parce que vous intervenez dans une session du forum ou l’avez mise en favori.",
    }),
    "cfp.submitted": (v) => ({
      subject: "Proposition reçue",
      blocks: [
        p(`Merci${NBSP}: votre proposition ${q(v.title)} a bien été soumise à l’appel à communications du forum.`),
        p(
          `Le comité de programme l’examinera après la date limite et nous vous écrirons dès qu’une décision aura été prise. Jusqu’à la date limite, vous pouvez encore la modifier${NBSP}:`,
        ),
        action("Voir ma proposition", v.proposalUrl),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.invitation": (v) => ({
      subject: `${v.inviter} vous invite à intervenir`,
      blocks: [
        p(`${v.inviter} vous invite à rejoindre la proposition ${q(v.title)} en tant que co-intervenant au forum.`),
        p(
          `Ouvrez ce lien pour accepter ou refuser. Pour accepter, vous vous connectez au site du forum avec votre adresse e-mail (sans mot de passe)${NBSP}:`,
        ),
        action("Voir l’invitation", v.linkUrl),
        p(`Ce lien est valable ${v.invitationDays}${NBSP}jours.`),
        p(
          "Si vous ne connaissez pas cette personne ou ne souhaitez pas intervenir, vous pouvez refuser depuis la même page, ou ignorer ce message.",
        ),
      ],
      why: "Vous recevez ce message parce qu’un intervenant de l’appel à communications du forum a invité cette adresse e-mail.",
    }),
    "cfp.late": (v) => ({
      subject: "Vous pouvez soumettre une proposition après la date limite",
      blocks: [
        p(
          v.formatName
            ? `Les organisateurs vous invitent à soumettre une proposition (${v.formatName}) à l’appel à communications du forum, bien que sa date limite soit passée.`
            : "Les organisateurs vous invitent à soumettre une proposition à l’appel à communications du forum, bien que sa date limite soit passée.",
        ),
        { kind: "facts", rows: [["Jusqu’au", v.until]] },
        p(`Connectez-vous avec cette adresse e-mail pour créer, modifier et soumettre votre proposition${NBSP}:`),
        action("Soumettre une proposition", v.linkUrl),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.accepted": (v) => ({
      subject: "Votre proposition est acceptée",
      blocks: [
        p(`Félicitations${NBSP}: le comité de programme a accepté votre proposition ${q(v.title)}.`),
        p(
          `Merci de confirmer que vous la présenterez (ou de nous indiquer que vous ne le pourrez pas). Elle ne sera programmée qu’une fois confirmée${NBSP}:`,
        ),
        action("Confirmer ou décliner", v.linkUrl),
        p(`Votre proposition et les messages des organisateurs${NBSP}:`),
        action("Voir ma proposition", v.proposalUrl),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.rejected": (v) => ({
      subject: "Votre proposition n’a pas été retenue",
      blocks: [
        p(
          `Merci d’avoir proposé ${q(v.title)}. Nous sommes désolés${NBSP}: le comité de programme n’a pas pu l’inclure au programme de cette année.`,
        ),
        ...(v.reason ? [p(`Les mots du comité${NBSP}:`), { kind: "quote", text: v.reason } as const] : []),
        p("Nous espérons néanmoins vous accueillir au forum."),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.message": (v) => ({
      subject: `À propos de votre proposition ${q(v.title)}`,
      blocks: [
        p(`Les organisateurs vous écrivent au sujet de votre proposition ${q(v.title)}${NBSP}:`),
        { kind: "quote", text: v.body },
        action("Voir ma proposition", v.proposalUrl),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.withdrawn": (v) => ({
      subject: "Proposition retirée",
      blocks: [
        p(
          v.by
            ? `${v.by} a retiré la proposition ${q(v.title)}, dont vous êtes intervenant, de l’appel à communications du forum.`
            : `Vous avez retiré votre proposition ${q(v.title)} de l’appel à communications du forum.`,
        ),
        p(
          `Le comité de programme ne l’examinera pas, et elle ne peut plus être modifiée ni soumise. Elle reste dans la liste de vos propositions${NBSP}:`,
        ),
        action("Voir la proposition", v.proposalUrl),
        ...(v.contactEmail ? [p(`S’il s’agit d’une erreur, écrivez-nous à ${v.contactEmail}.`)] : []),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.speaker_joined": (v) => ({
      subject: `${v.speaker} a rejoint votre proposition`,
      blocks: [
        p(`${v.speaker} a accepté l’invitation et intervient désormais avec vous sur la proposition ${q(v.title)}.`),
        p(`La page de la proposition en présente les intervenants et les invitations${NBSP}:`),
        action("Voir ma proposition", v.proposalUrl),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.invitation_declined": (v) => ({
      subject: "Votre invitation a été refusée",
      blocks: [
        p(`${v.invitee} a refusé votre invitation à rejoindre la proposition ${q(v.title)} en tant que co-intervenant.`),
        p(`Vous pouvez inviter quelqu’un d’autre depuis la page de la proposition${NBSP}:`),
        action("Voir ma proposition", v.proposalUrl),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.confirmed": (v) => ({
      subject: "Votre intervention est confirmée",
      blocks: [
        p(`Merci${NBSP}: la proposition ${q(v.title)} est confirmée et fait désormais partie du programme du forum.`),
        p(`Votre session sera programmée${NNBSP}; nous vous indiquerons quand et où.`),
        p(
          `D’ici là, merci de tenir à jour votre profil d’intervenant et vos disponibilités${NBSP}: les organisateurs s’en servent pour programmer la session.`,
        ),
        action("Voir ma proposition", v.proposalUrl),
      ],
      why: FR_CFP_WHY,
    }),
    "cfp.declined": (v) => ({
      subject: "Votre proposition ne sera pas présentée",
      blocks: [
        p(`L’acceptation de la proposition ${q(v.title)} a été déclinée${NBSP}: elle ne sera pas présentée au forum.`),
        p(
          v.contactEmail
            ? `Merci de nous avoir prévenus. S’il s’agit d’une erreur, écrivez-nous au plus vite à ${v.contactEmail}.`
            : "Merci de nous avoir prévenus.",
        ),
        action("Voir ma proposition", v.proposalUrl),
      ],
      why: FR_CFP_WHY,
    }),
  },
};

const FR_CFP_WHY = "Vous recevez ce message parce que vous êtes intervenant d’une proposition à l’appel à communications du forum.";

function frTicket(v: Vars): Block[] {
  return [
    {
      kind: "facts",
      rows: [
        [fr.when, v.dates],
        [fr.where, `${v.venue}, ${v.address}`],
      ],
    },
    { kind: "ticket" },
    p(
      `Si vous ne pouvez plus venir, merci d’annuler votre inscription depuis votre page afin que votre place revienne à une personne en liste d’attente${NBSP}:`,
    ),
    action("Gérer mon inscription", v.manageUrl),
  ];
}

/** The wording of `language`. */
export const WORDING: Record<Locale, Wording> = { en, fr };
