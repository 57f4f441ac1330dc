import { expect } from "vitest";
import * as cfp from "../fixtures/cfp.ts";
import { confirmToken, invitationToken, lateToken } from "../../src/lib/cfp/links.ts";
import { publishRelease } from "../../src/lib/programme/releases.ts";
import { pendingDigest, releaseDecisions, setPendingDecisions } from "../../src/lib/review/decisions.ts";
import { submitReview } from "../../src/lib/review/reviewing.ts";
import { createGroup } from "../../src/lib/email/groups.ts";
import { enqueue } from "../../src/lib/email/outbox.ts";
import { createEndpoint, setEndpointEnabled } from "../../src/lib/webhooks/endpoints.ts";
import { eq } from "drizzle-orm";
import { outbox } from "../../db/schema/outbox.ts";
import { registrationFields, postForm, serverDb } from "./forms.ts";
import { people } from "./people.ts";
import type { TestServer } from "./server.ts";
import { serverAccounts, type Client } from "./session.ts";

/** Who looks at a page: each has their own browser context and session. */
export type Visitor = "visitor" | "attendee" | "speaker" | "unverified" | "reviewer" | "checkin" | "organizer";

/**
 * Long names, addresses and French words, as real people type them: what pages must lay out at
 * 390 px without breaking words or pushing the page wider than the phone.
 */
export const LONG = {
  attendeeName: "Marie-Éléonore Delacroix-Montmorency de La Tour-d’Auvergne",
  attendeeEmail: "marie-eleonore.delacroix-montmorency@interieur.gouv.fr",
  agency: "Sous-direction de la lutte contre la cybercriminalité, Direction centrale de la police judiciaire",
  position: "Commissaire divisionnaire, cheffe de l’Office central de lutte contre la criminalité liée aux technologies",
  speakerName: "Konstantinos Papadimitriou-Vasilakopoulos",
  speakerEmail: "konstantinos.papadimitriou-vasilakopoulos@cybersecurity-research.example.org",
  coSpeakerEmail: "anne-sophie.vandenberghe-lefebvre@observatoire-cybercriminalite.example.eu",
  proposalTitle:
    "Interopérabilité des preuves numériques transfrontalières : retours d’expérience des enquêteurs spécialisés en cybercriminalité",
  organizerEmail: "organisation.programme-scientifique@forum-safer-world.example",
  reviewerEmail: "comite-de-selection.rapporteur-principal@forum-safer-world.example",
  deskEmail: "accueil.enregistrement-des-participants@forum-safer-world.example",
};

export interface SiteWorld {
  /** The session cookie of each visitor who signs in. */
  sessions: Partial<Record<Visitor, string>>;
  sessionSlug: string;
  longSessionSlug: string;
  longSpeakerSlug: string;
  manageToken: string;
  pendingManageToken: string;
  attendeeId: number;
  attendeeSearch: string;
  signInToken: string;
  proposalCode: string;
  draftCode: string;
  acceptedCode: string;
  confirmToken: string;
  invitationToken: string;
  lateToken: string;
  /** The accepted speaker's e-mail, held for the organizers to send. */
  heldMessageId: string;
  /** A webhook endpoint (disabled: nothing leaves the machine) with deliveries in every state, long answers among them. */
  webhookId: number;
  /** A group message still going (one of three sent), in French and English. */
  groupId: string;
  /** The pending attendee, whose address confirmation bounced. */
  bouncedRegistrationId: number;
  close(): void;
}

/** The nonce of the latest message of `template` to `recipient`. */
function nonceOf(db: ReturnType<typeof serverAccounts>["db"], recipient: string, template: string): string {
  const row = db.$client
    .prepare("select payload from outbox where recipient = ? and template = ? order by rowid desc limit 1")
    .get(recipient, template) as { payload: string } | undefined;
  if (!row) throw new Error(`no ${template} message to ${recipient}`);
  return JSON.parse(row.payload).nonce;
}

/** Posts through `client` and expects a redirect (a form accepted); returns its location. */
async function accepted(client: Client, path: string, fields: Record<string, string | string[]>): Promise<string> {
  const response = await client.post(path, fields);
  expect(response.status, `${path}: ${(await response.text()).slice(0, 300)}`).toBe(303);
  return response.headers.get("location") ?? "";
}

/**
 * A site with realistic content on the demo edition: staff of every role signed in with their
 * second factor, a vetted and confirmed attendee with a ticket, a speaker with a submitted proposal,
 * a draft, an accepted one and a co-speaker invitation, a criterion and a review, a late link.
 * Through the site's own forms where a form exists, through the domain functions otherwise.
 */
export async function seedSite(server: TestServer): Promise<SiteWorld> {
  const accounts = serverAccounts(server);
  const who = people(server, accounts);
  const db = accounts.db;
  const [organizer, reviewer, desk, unverified] = await Promise.all([
    who.staff(LONG.organizerEmail, ["organizer"]),
    who.staff(LONG.reviewerEmail, ["reviewer"]),
    who.staff(LONG.deskEmail, ["checkin"]),
    who.signedIn("nouvelle.organisatrice@forum-safer-world.example", ["organizer"]),
  ]);
  const userId = (email: string) => (db.$client.prepare("select id from users where email = ?").get(email) as { id: number }).id;

  // The attendee: law enforcement, vetted, confirmed, checked in; and another waiting for their address.
  const attendeeId = await who.register(LONG.attendeeEmail, "law-enforcement", {
    overrides: {
      name: LONG.attendeeName,
      organisation: "Ministère de l’Intérieur",
      agency: LONG.agency,
      position: LONG.position,
      officialEmail: LONG.attendeeEmail,
      dietary: "Végétarienne, sans fruits à coque (allergie sévère)",
      accessibility: "Accès de plain-pied, boucle magnétique pour la salle plénière",
      language: "fr",
      listConsent: "on",
    },
  });
  const data = serverDb(server);
  const manageToken = data.linkTokenOf(LONG.attendeeEmail, "registration.confirm_address");
  await who.approve(organizer, attendeeId);
  expect(
    (await postForm(server, "/register?_action=register", registrationFields("pending.attendee@example.org", "researcher"))).status,
  ).toBe(303);
  const pendingManageToken = data.linkTokenOf("pending.attendee@example.org", "registration.confirm_address");
  data.close();
  await accepted(desk, "/admin/checkin?_action=checkinRegistration", { id: String(attendeeId) });
  const attendee = await who.signedIn(LONG.attendeeEmail);

  // The speaker: a profile, a submitted proposal with a co-speaker invited, a draft.
  const speaker = await who.signedIn(LONG.speakerEmail);
  await accepted(speaker, "/cfp/profile?_action=cfpSaveProfile", {
    name: LONG.speakerName,
    affiliation: "Laboratoire de recherche en cybersécurité et criminalistique numérique",
    country: "GR",
    // A French speaker writes in French: English pages show the French text, marked lang="fr".
    bioFr:
      "Chercheur en criminalistique numérique ; travaille avec les unités spécialisées de plusieurs pays européens sur l’acquisition et la conservation des preuves.",
    links: "https://cybersecurity-research.example.org/people/konstantinos-papadimitriou-vasilakopoulos",
    language: "fr",
    days: ["2013-07-02"],
  });
  const proposalFields = {
    titleFr: LONG.proposalTitle,
    abstractFr: "Comment trois services d’enquête ont fait reconnaître des preuves numériques recueillies à l’étranger.",
    descriptionFr: "Étude de cas, enseignements et recommandations pratiques.",
    format: "talk",
    track: "investigation-forensics",
    language: "fr",
    audience: "registered",
    tlp: "AMBER+STRICT",
    notes: "Possibilité de coprésentation avec une magistrate de liaison.",
  };
  const created = await accepted(speaker, "/cfp/proposals/new?_action=cfpCreateProposal", proposalFields);
  const proposalCode = /\/cfp\/proposals\/([A-Z0-9]+)/.exec(created)![1]!;
  await accepted(speaker, `/cfp/proposals/${proposalCode}?_action=cfpInvite`, { code: proposalCode, email: LONG.coSpeakerEmail });
  const version = (code: string) =>
    String((db.$client.prepare("select version from proposals where code = ?").get(code) as { version: number }).version);
  await accepted(speaker, `/cfp/proposals/${proposalCode}?_action=cfpSubmitProposal`, {
    code: proposalCode,
    version: version(proposalCode),
  });
  // The draft only in English (for an English-speaking co-presenter): French pages show it marked lang="en".
  const draft = await accepted(speaker, "/cfp/proposals/new?_action=cfpCreateProposal", {
    ...proposalFields,
    titleFr: "",
    abstractFr: "",
    descriptionFr: "",
    titleEn: "Hands-on workshop: acquiring the volatile memory of seized smartphones without losing evidence",
    abstractEn: "Tools, pitfalls and the chain of custody, on real devices.",
    format: "workshop",
    language: "en",
  });
  const draftCode = /\/cfp\/proposals\/([A-Z0-9]+)/.exec(draft)![1]!;

  // The committee: a criterion with long names, the reviewer on every proposal, a review; an
  // accepted proposal of the speaker, released, so that it waits for their confirmation.
  const profileId = (db.$client.prepare("select id from speakers where email = ?").get(LONG.speakerEmail) as { id: number }).id;
  cfp.criterion(db, {
    nameEn: "Relevance to law-enforcement practitioners",
    nameFr: "Pertinence pour les praticiens des forces de l’ordre",
  });
  cfp.criterion(db, { nameEn: "Clarity", nameFr: "Clarté", scaleMin: 1, scaleMax: 3 });
  cfp.assignAll(db, userId(LONG.reviewerEmail));
  cfp.assignAll(db, userId(LONG.organizerEmail));
  const acceptedProposal = cfp.proposal(db, [profileId], {
    titleEn: "",
    titleFr: "Cartographier les réseaux de blanchiment en cryptoactifs",
    abstractEn: "",
    abstractFr: "Suivre les flux entre plateformes d’échange, mélangeurs et portefeuilles.",
    descriptionEn: "",
    language: "fr",
  });
  const organizerActor = { id: userId(LONG.organizerEmail), email: LONG.organizerEmail };
  const criteria = db.$client.prepare("select id, scale_max as max from review_criteria").all() as { id: number; max: number }[];
  submitReview(
    db,
    { id: userId(LONG.reviewerEmail), email: LONG.reviewerEmail },
    {
      code: acceptedProposal.code,
      abstain: false,
      comment: "Très pertinent pour les unités régionales ; la partie juridique mériterait d’être développée.",
      scores: Object.fromEntries(criteria.map((c) => [c.id, c.max])),
    },
  );
  setPendingDecisions(db, organizerActor, [acceptedProposal.code], "accepted");
  expect(releaseDecisions(db, accounts.appKey, organizerActor, pendingDigest(db)).ok).toBe(true);
  const confirm = confirmToken(accounts.appKey, nonceOf(db, LONG.speakerEmail, "cfp.accepted"));

  // A late-submission link, sent from the settings page.
  const late = await organizer.post("/cfp?_action=cfpGrantLate", {
    email: "retardataire@example.org",
    days: "7",
    format: "",
    language: "fr",
  });
  expect(late.status).toBe(200);

  // A session not yet translated, published: French pages show its English texts, marked lang="en".
  db.$client
    .prepare("update sessions set title_fr = '', abstract_fr = '', description_fr = '' where slug = 'opening-keynote-anticipating-crime'")
    .run();
  publishRelease(db, organizerActor, {
    en: "The opening keynote's French texts are on their way.",
    fr: "Les textes français de la conférence d’ouverture arrivent bientôt.",
  });

  // A room double-booked in the work in progress (the keynote's room and time given to the next
  // talk): publishing asks to confirm the warning.
  db.$client
    .prepare(
      `update sessions set starts_at = k.starts_at, ends_at = k.ends_at, room_id = k.room_id
       from (select starts_at, ends_at, room_id from sessions where slug = 'opening-keynote-anticipating-crime') as k
       where slug = 'measuring-what-prevention-prevents'`,
    )
    .run();
  const held = db.$client
    .prepare("select id from outbox where recipient = ? and template = 'cfp.accepted' order by rowid desc limit 1")
    .get(LONG.speakerEmail) as { id: string };

  // A group message of three, one sent, two due in an hour: still going while the pages are looked
  // at; and the pending attendee's address confirmation bounced.
  const groupId = "5a1e0c2d-4b5a-4c6d-8e7f-90a1b2c3d4e5";
  db.transaction((tx) => {
    const subject = { en: "Practical details for the first morning", fr: "Informations pratiques pour le premier matin" };
    createGroup(tx, {
      id: groupId,
      kind: "announcement",
      subject,
      body: { en: "Doors open at 8:30.", fr: "Ouverture des portes à 8 h 30." },
      recipients: 3,
      createdBy: LONG.organizerEmail,
    });
    for (let i = 0; i < 3; i++) {
      const payload = { name: `Attendee ${i}`, subject: subject.en, body: "Doors open at 8:30." };
      const id = enqueue(
        tx,
        { template: "announcement", language: "en", recipient: `group-member-${i}@example.org`, payload, groupId },
        Date.now() + 3_600_000,
      );
      if (i === 0) tx.update(outbox).set({ state: "sent", sentAt: new Date() }).where(eq(outbox.id, id)).run();
    }
  });
  const bouncedRegistrationId = (
    db.$client.prepare("select id from registrations where email = ?").get("pending.attendee@example.org") as { id: number }
  ).id;
  db.$client
    .prepare(
      "update outbox set state = 'sent', delivery = 'bounced', delivery_detail = 'Permanent: no such mailbox' where registration_id = ?",
    )
    .run(bouncedRegistrationId);
  db.$client
    .prepare("update registrations set email_bounced_at = ?, email_bounce = 'Permanent: no such mailbox' where id = ?")
    .run(Date.now(), bouncedRegistrationId);

  // A webhook endpoint with a long address and deliveries in each state. Disabled, so that the
  // worker sends nothing anywhere during the walk.
  const staffMember = { id: userId(LONG.organizerEmail), email: LONG.organizerEmail };
  const webhook = createEndpoint(db, accounts.appKey, staffMember, {
    url: "https://integrations.imprimante-de-badges.example.org/api/v2/forum-safer-world/webhooks/inscriptions-et-accueil",
    description: "Imprimante de badges du centre de congrès (accueil des participants)",
    events: ["registration.confirmed", "registration.promoted", "registration.cancelled", "registration.checked_in"],
  });
  setEndpointEnabled(db, staffMember, webhook.id, false);
  const hour = 3_600_000;
  const deliveries: [string, string, number | null, string | null, string | null, number][] = [
    ["delivered", "registration.confirmed", 200, '{"ok":true}', null, 1],
    [
      "failed",
      "registration.cancelled",
      410,
      `{"error":"endpoint_retired","detail":"${"Ce point de réception a été retiré du service. ".repeat(8)}"}`,
      "answered 410",
      1,
    ],
    ["pending", "registration.checked_in", null, null, "timed out after 10000 ms", 3],
    [
      "failed",
      "registration.promoted",
      302,
      "",
      "redirect not followed (to https://login.imprimante-de-badges.example.org/session/expired?return=/api/v2)",
      1,
    ],
  ];
  deliveries.forEach(([state, type, status, response, error, attempts], i) => {
    const eventId = `msg_site${String(i).padStart(28, "0")}`;
    db.$client
      .prepare("insert into webhook_events (id, type, body, created_at) values (?, ?, '{}', ?)")
      .run(eventId, type, Date.now() - (i + 1) * hour);
    db.$client
      .prepare(
        "insert into webhook_deliveries (event_id, endpoint_id, state, attempts, next_attempt_at, last_status, last_response, last_error, last_attempt_at, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        eventId,
        webhook.id,
        state,
        attempts,
        Date.now() + hour,
        status,
        response,
        error,
        Date.now() - i * hour,
        Date.now() - (i + 1) * hour,
      );
  });

  const cookie = (client: Client) => client.cookies.get("forum_session")!;
  return {
    sessions: {
      attendee: cookie(attendee),
      speaker: cookie(speaker),
      unverified: cookie(unverified),
      reviewer: cookie(reviewer),
      checkin: cookie(desk),
      organizer: cookie(organizer),
    },
    sessionSlug: "opening-keynote-anticipating-crime",
    longSessionSlug: "information-sharing-without-oversharing",
    longSpeakerSlug: "helene-marchetti-bourdon",
    manageToken,
    pendingManageToken,
    attendeeId,
    attendeeSearch: "Delacroix",
    signInToken: accounts.account("lien.de.connexion@example.org").linkToken,
    proposalCode,
    draftCode,
    acceptedCode: acceptedProposal.code,
    confirmToken: confirm,
    invitationToken: invitationToken(accounts.appKey, nonceOf(db, LONG.coSpeakerEmail, "cfp.invitation")),
    lateToken: lateToken(accounts.appKey, nonceOf(db, "retardataire@example.org", "cfp.late")),
    heldMessageId: held.id,
    webhookId: webhook.id,
    groupId,
    bouncedRegistrationId,
    close: () => accounts.close(),
  };
}
