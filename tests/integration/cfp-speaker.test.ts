// The speakers' side of the call for papers over HTTP: profile, proposals (create, edit, submit,
// withdraw), co-speaker invitations (invite, resend, withdraw, accept, decline), the deadline per
// format and a late-submission link, ownership (another speaker's proposal is a 404 for every page
// and Action), and the acknowledgement e-mail in the speaker's language.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveSecret } from "../../src/lib/security/secrets.ts";
import { readMailbox } from "../../src/lib/email/mailbox.ts";
import { mailboxOf, waitForMail } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let contentDir: string;
let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
let ada: Client;
let bob: Client;

beforeAll(async () => {
  // Talks, panels and demos are open until 2099; workshops closed in 2013.
  contentDir = mkdtempSync(join(tmpdir(), "forum-content-"));
  cpSync("content", contentDir, { recursive: true });
  const file = join(contentDir, "edition.yaml");
  const edition = parse(readFileSync(file, "utf8"));
  edition.cfp.formats = [{ format: "talk" }, { format: "panel" }, { format: "workshop", deadline: "2013-03-15T23:59" }, { format: "demo" }];
  writeFileSync(file, stringify(edition));
  server = await startServer({ CONTENT_DIR: contentDir });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  ada = await who.signedIn("ada@example.org");
  bob = await who.signedIn("bob@example.org");
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
  if (contentDir) rmSync(contentDir, { recursive: true, force: true });
});

const sql = {
  get: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T,
  all: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).all(...params) as T[],
};
/** The proposal row, `title` its English title or else its French one. */
const proposalOf = (code: string) => {
  const row = sql.get<{ id: number; title_en: string; title_fr: string; state: string; version: number; format_id: number }>(
    "select * from proposals where code = ?",
    code,
  );
  return { ...row, title: row.title_en || row.title_fr };
};
const snapshot = () =>
  sql.get(
    "select (select group_concat(code || state || version || title_en || title_fr) from proposals) as proposals, (select count(*) from proposal_speakers) as speakers, (select group_concat(state || token_hash) from proposal_invitations) as invitations, (select count(*) from outbox) as outbox",
  );

/** The proposal form; `title`, `abstract` and `description` fill the English fields. */
const proposalFields = ({ title, abstract, description, ...over }: Record<string, string> = {}) => ({
  titleEn: title ?? "Hunting botnets across borders",
  titleFr: "",
  abstractEn: abstract ?? "How three police forces took a botnet down together.",
  abstractFr: "",
  descriptionEn: description ?? "Case study.",
  descriptionFr: "",
  format: "talk",
  track: "cybercrime-prevention",
  language: "en",
  audience: "public",
  tlp: "CLEAR",
  notes: "",
  ...over,
});
const profileFields = (over: Record<string, string | string[]> = {}) => ({
  name: "Ada Lovelace",
  affiliation: "Analytical Engines",
  country: "GB",
  bioEn: "Engineer.",
  bioFr: "Ingénieure.",
  links: "https://example.org/ada",
  language: "en",
  ...over,
});

/** Creates a draft through the form and returns its code. */
async function createDraft(client: Client, over: Record<string, string> = {}): Promise<string> {
  const response = await client.post("/cfp/proposals/new?_action=cfpCreateProposal", proposalFields(over));
  expect(response.status).toBe(303);
  const location = response.headers.get("location")!;
  const match = /\/cfp\/proposals\/([A-Z0-9]+)\?notice=created$/.exec(location);
  expect(match, location).not.toBeNull();
  return match![1]!;
}

/** The nonce of the latest message of `template` to `email`. */
const nonceOf = (email: string, template: string) =>
  JSON.parse(
    sql.get<{ payload: string }>(
      "select payload from outbox where recipient = ? and template = ? order by rowid desc limit 1",
      email,
      template,
    ).payload,
  ).nonce as string;

/** The outbox rows of `template` about proposal `code`: recipient, language, payload. */
const toldOf = (template: string, code: string) =>
  sql
    .all<{ recipient: string; language: string; payload: string }>(
      "select recipient, language, payload from outbox where template = ? and json_extract(payload, '$.code') = ? order by rowid",
      template,
      code,
    )
    .map((m) => ({ ...m, payload: JSON.parse(m.payload) as Record<string, string> }));

/** The delivered message of `template` to `email` about the proposal `code` (its page is linked in the text). */
async function mailAbout(email: string, template: string, code: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await readMailbox(mailboxOf(server))).find(
      (m) => m.to.includes(email) && m.template === template && m.text.includes(`/cfp/proposals/${code}`),
    );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${template} message to ${email} about ${code}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("public call page", () => {
  it("shows the call open, the formats with their durations and deadlines, the tracks, and a sign-in button for visitors", async () => {
    for (const [path, words] of [
      [
        "/cfp",
        ["Call for papers", "Open", "Workshop", "90 minutes", "Closed", "15 March 2013, 23:59", "Cybercrime prevention", "What we ask"],
      ],
      [
        "/fr/cfp",
        ["Appel à communications", "Ouvert", "Atelier", "90\u00a0minutes", "Clos", "15 mars 2013", "Prévention de la cybercriminalité"],
      ],
    ] as const) {
      const response = await fetch(server.url + path);
      expect(response.status).toBe(200);
      const html = await response.text();
      for (const word of words) expect(html).toContain(word);
      expect(html).toContain(`?next=${encodeURIComponent("/cfp/proposals/new")}`);
    }
    expect(await (await ada.get("/cfp")).text()).toContain('href="/cfp/proposals/new"');
  });

  it("sends visitors of the private pages to sign in, and refuses their Actions", async () => {
    const visitor = new Client(server);
    for (const path of ["/cfp/profile", "/cfp/proposals", "/cfp/proposals/new", "/cfp/proposals/ABCDEFGH", "/fr/cfp/proposals"]) {
      const response = await visitor.get(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get("location"), path).toMatch(/\/signin\?next=/);
    }
    const before = snapshot();
    const response = await visitor.post("/cfp/proposals/new?_action=cfpCreateProposal", proposalFields());
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/signin?next=${encodeURIComponent("/cfp/proposals/new")}`);
    expect(snapshot()).toEqual(before);
  });
});

describe("speaker profile", () => {
  it("saves the profile; refuses bad input by the field, keeping the values", async () => {
    const bad = await ada.post("/cfp/profile?_action=cfpSaveProfile", profileFields({ name: "", country: "XX", links: "ftp://nope" }));
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toMatch(/id="f-name-error"[^>]*>\s*This field is required\./);
    expect(html).toMatch(/id="f-country-error"[^>]*>\s*Choose a country from the list\./);
    expect(html).toContain("Enter web addresses starting with https://");
    expect(html).toContain("Analytical Engines");
    expect(sql.get<{ n: number }>("select count(*) as n from speakers where name = 'Ada Lovelace'").n).toBe(0);

    const ok = await ada.post("/cfp/profile?_action=cfpSaveProfile", profileFields({ days: ["2013-07-03"] }));
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/cfp/profile?saved=1");
    const row = sql.get<{ name: string; availability: string; user_id: number }>("select * from speakers where email = 'ada@example.org'");
    expect(row.name).toBe("Ada Lovelace");
    expect(JSON.parse(row.availability)).toEqual([{ from: "2013-07-02T22:00:00.000Z", to: "2013-07-03T22:00:00.000Z" }]);
    const page = await (await ada.get("/cfp/profile?saved=1")).text();
    expect(page).toContain("Your profile is saved.");
    expect(page).toMatch(/value="2013-07-03" checked/);
  });
});

describe("profile photo", () => {
  const upload = (client: Client, file: File) => {
    const form = new FormData();
    form.set("photo", file);
    return fetch(server.url + "/cfp/profile?_action=cfpProfilePhoto", {
      method: "POST",
      redirect: "manual",
      headers: { Origin: server.url, Cookie: client.cookieHeader },
      body: form,
    });
  };
  const photoOf = (email: string) => sql.get<{ photo: string | null }>("select photo from speakers where email = ?", email)?.photo ?? null;

  it("uploads a photo over 64 KiB, served as WebP; refuses a file that is not an image, by the field; removes it", async () => {
    const noisy = await sharp(Buffer.from(Array.from({ length: 400 * 400 * 3 }, (_, i) => (i * 7919) % 251)), {
      raw: { width: 400, height: 400, channels: 3 },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noisy.byteLength).toBeGreaterThan(64 * 1024);
    const response = await upload(ada, new File([noisy], "me.png", { type: "image/png" }));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/cfp/profile?saved=photo#photo");
    const photo = photoOf("ada@example.org");
    expect(photo).toMatch(/^\/media\/[0-9a-f]{64}\.webp$/);
    expect((await fetch(server.url + photo)).headers.get("content-type")).toBe("image/webp");
    expect(await (await ada.get("/cfp/profile?saved=photo")).text()).toContain(`src="${photo}"`);

    const bad = await upload(ada, new File(["not an image"], "me.png", { type: "image/png" }));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/id="f-photo-error"[^>]*>\s*This file is not a JPEG, PNG or WebP image\./);
    expect(photoOf("ada@example.org")).toBe(photo);

    // A visitor's upload stops at the small body limit and at the sign-in.
    const visitor = await upload(new Client(server), new File([noisy], "me.png", { type: "image/png" }));
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toBe(`/signin?next=${encodeURIComponent("/cfp/profile")}`);

    expect((await ada.post("/cfp/profile?_action=cfpProfilePhotoRemove", {})).status).toBe(303);
    expect(photoOf("ada@example.org")).toBeNull();
  });
});

describe("a proposal's lifecycle", () => {
  it("creates a draft, refuses bad input by the field without writing, edits with the version, submits, and mails the acknowledgement in the speaker's language", async () => {
    // Bob writes in French.
    expect((await bob.post("/fr/cfp/profile?_action=cfpSaveProfile", profileFields({ name: "Bob Martin", language: "fr" }))).status).toBe(
      303,
    );
    const before = snapshot();
    const bad = await bob.post(
      "/fr/cfp/proposals/new?_action=cfpCreateProposal",
      proposalFields({ title: "", format: "keynote", tlp: "PURPLE" }),
    );
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toMatch(/id="f-titleEn-error"[^>]*>\s*Donnez un titre, en anglais ou en français\./);
    expect(html).toMatch(/id="f-format-error"[^>]*>\s*Choisissez l’un des formats de l’appel\./);
    expect(html).toContain("How three police forces took a botnet down together.");
    expect(snapshot()).toEqual(before);

    const code = await createDraft(bob, { abstract: "" });
    expect(proposalOf(code)).toMatchObject({ state: "draft", version: 1 });
    const page = await (await bob.get(`/fr/cfp/proposals/${code}`)).text();
    expect(page).toContain("Brouillon (pas encore soumis)");

    // Submitting without an abstract is refused next to the field.
    const refused = await bob.post(`/fr/cfp/proposals/${code}?_action=cfpSubmitProposal`, { code, version: "1" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Rédigez un résumé, en anglais ou en français, avant de soumettre.");
    expect(proposalOf(code).state).toBe("draft");

    const saved = await bob.post(`/fr/cfp/proposals/${code}?_action=cfpUpdateProposal`, {
      code,
      version: "1",
      ...proposalFields({ title: "", titleFr: "Traquer les botnets", language: "fr" }),
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`/fr/cfp/proposals/${code}?notice=saved`);
    expect(proposalOf(code)).toMatchObject({ title: "Traquer les botnets", version: 2 });
    // A stale form does not overwrite.
    const stale = await bob.post(`/fr/cfp/proposals/${code}?_action=cfpUpdateProposal`, {
      code,
      version: "1",
      ...proposalFields({ title: "Stale" }),
    });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain("La proposition a été modifiée ailleurs");
    expect(proposalOf(code).title).toBe("Traquer les botnets");
    // Bad input on edit: by the field, nothing changed.
    const badEdit = await bob.post(`/fr/cfp/proposals/${code}?_action=cfpUpdateProposal`, {
      code,
      version: "2",
      ...proposalFields({ title: "x".repeat(201) }),
    });
    expect(badEdit.status).toBe(400);
    expect(await badEdit.text()).toMatch(/id="f-titleEn-error"[^>]*>\s*Utilisez au plus 200 caractères\./);
    expect(proposalOf(code)).toMatchObject({ title: "Traquer les botnets", version: 2 });

    const submitted = await bob.post(`/fr/cfp/proposals/${code}?_action=cfpSubmitProposal`, { code, version: "2" });
    expect(submitted.status).toBe(303);
    expect(submitted.headers.get("location")).toBe(`/fr/cfp/proposals/${code}?notice=submitted`);
    expect(proposalOf(code).state).toBe("submitted");
    const mail = await waitForMail(server, "bob@example.org", "cfp.submitted");
    expect(mail.subject).toBe("Proposition reçue – Forum Monde plus sûr");
    expect(mail.text).toContain("Bonjour Bob Martin,");
    expect(mail.text).toContain(`${server.url}/fr/cfp/proposals/${code}`);

    const list = await (await bob.get("/fr/cfp/proposals")).text();
    expect(list).toContain("Traquer les botnets");
    expect(list).toContain("Soumise, en cours d’examen");
  });

  it("the account page leads a speaker to their proposals and profile", async () => {
    const account = await (await ada.get("/account")).text();
    expect(account).toContain('<a href="/cfp/proposals">My proposals</a>');
    expect(account).toContain('<a href="/cfp/profile">My speaker profile</a>');
    const compte = await (await ada.get("/fr/account")).text();
    expect(compte).toContain('<a href="/fr/cfp/proposals">Mes propositions</a>');
  });

  it("withdraws a submitted proposal, and refuses to withdraw it twice", async () => {
    const code = await createDraft(ada);
    expect((await ada.post(`/cfp/proposals/${code}?_action=cfpSubmitProposal`, { code, version: "1" })).status).toBe(303);
    // The page asks first: a link to the confirmation step, whose button posts the withdrawal.
    const before = await (await ada.get(`/cfp/proposals/${code}`)).text();
    expect(before).toContain(`href="?withdraw=1#withdraw-title"`);
    expect(before).not.toContain("_action=cfpWithdrawProposal");
    const step = await (await ada.get(`/cfp/proposals/${code}?withdraw=1`)).text();
    expect(step).toContain("Withdraw “Hunting botnets across borders”? The committee will no longer consider it");
    expect(step).toContain("_action=cfpWithdrawProposal");
    expect(step).toContain("Yes, withdraw it");
    expect(step).toContain("No, keep the proposal");
    const stepFr = await (await ada.get(`/fr/cfp/proposals/${code}?withdraw=1`)).text();
    expect(stepFr).toContain("Retirer «\u202fHunting botnets across borders\u202f»\u202f?");
    expect(stepFr).toContain("Oui, la retirer");
    expect(proposalOf(code).state).toBe("submitted");
    const withdrawn = await ada.post(`/cfp/proposals/${code}?_action=cfpWithdrawProposal`, { code });
    expect(withdrawn.status).toBe(303);
    expect(proposalOf(code).state).toBe("withdrawn");
    const again = await ada.post(`/cfp/proposals/${code}?_action=cfpWithdrawProposal`, { code });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("This is no longer possible for this proposal.");
    // One receipt, from the withdrawal that happened.
    expect(toldOf("cfp.withdrawn", code)).toEqual([
      {
        recipient: "ada@example.org",
        language: "en",
        payload: { name: "Ada Lovelace", title: "Hunting botnets across borders", code, by: "" },
      },
    ]);
    const receipt = await mailAbout("ada@example.org", "cfp.withdrawn", code);
    expect(receipt.subject).toBe("Proposal withdrawn – Safer World Forum");
    expect(receipt.text).toContain("You have withdrawn your proposal “Hunting botnets across borders” from the forum’s call for papers.");
    const page = await (await ada.get(`/cfp/proposals/${code}`)).text();
    expect(page).toContain("Withdrawn");
    expect(page).not.toContain("_action=cfpUpdateProposal");
  });

  it("shows a pending decision as under review, and never the reviews", async () => {
    const code = await createDraft(ada);
    await ada.post(`/cfp/proposals/${code}?_action=cfpSubmitProposal`, { code, version: "1" });
    const organizer =
      accounts.account("org@example.org").linkToken && sql.get<{ id: number }>("select id from users where email = 'org@example.org'").id;
    accounts.db.$client.prepare("update proposals set pending_state = 'rejected' where code = ?").run(code);
    accounts.db.$client
      .prepare("insert into reviews (proposal_id, reviewer_id, comment) values (?, ?, 'SECRET REVIEW')")
      .run(proposalOf(code).id, organizer);
    accounts.db.$client
      .prepare("insert into proposal_messages (proposal_id, author_id, body) values (?, ?, 'Please add a demo.')")
      .run(proposalOf(code).id, organizer);
    const page = await (await ada.get(`/cfp/proposals/${code}`)).text();
    expect(page).toContain("Submitted, under review");
    expect(page).toContain("Please add a demo.");
    expect(page).not.toContain("SECRET REVIEW");
    expect(page).not.toContain("Not selected");
  });
});

describe("deadline and late-submission link", () => {
  it("refuses to create, edit or submit a workshop after its deadline; a late link lets its holder do it", async () => {
    const before = snapshot();
    const refused = await ada.post("/cfp/proposals/new?_action=cfpCreateProposal", proposalFields({ format: "workshop" }));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("The call for papers is closed for this format.");
    expect(snapshot()).toEqual(before);

    // A talk cannot become a workshop either.
    const talk = await createDraft(ada);
    const edit = await ada.post(`/cfp/proposals/${talk}?_action=cfpUpdateProposal`, {
      code: talk,
      version: "1",
      ...proposalFields({ format: "workshop" }),
    });
    expect(edit.status).toBe(403);
    expect(proposalOf(talk).version).toBe(1);

    // The organizers' Action: refused to a speaker, granted by an organizer.
    const grant = { email: "ada@example.org", days: "5", format: "workshop", language: "en" };
    expect((await ada.post("/cfp?_action=cfpGrantLate", grant)).status).toBe(403);
    expect(sql.get<{ n: number }>("select count(*) as n from cfp_tokens").n).toBe(0);
    const organizer = await who.staff("organizer@example.org", ["organizer"]);
    const badGrant = await organizer.post("/cfp?_action=cfpGrantLate", { ...grant, days: "0" });
    expect(badGrant.status).toBe(400);
    expect((await organizer.post("/cfp?_action=cfpGrantLate", grant)).status).toBe(200);
    const mail = await waitForMail(server, "ada@example.org", "cfp.late");
    const token = deriveSecret(accounts.appKey, "cfp-late", nonceOf("ada@example.org", "cfp.late"));
    expect(mail.text).toContain(`${server.url}/cfp/late/${token}`);
    expect(mail.text).toContain("submit a proposal (Workshop)");

    const late = await (await ada.get(`/cfp/late/${token}`)).text();
    expect(late).toContain("The organizers allow ada@example.org to submit proposals after the deadline");
    expect(late).toContain('href="/cfp/proposals/new"');
    expect(await (await bob.get(`/cfp/late/${token}`)).text()).toContain("This link works only for the address it was sent to");
    expect(await (await ada.get(`/cfp/late/${"x".repeat(43)}`)).text()).toContain("is not valid or has expired");

    const workshop = await createDraft(ada, { format: "workshop" });
    expect(
      (
        await ada.post(`/cfp/proposals/${workshop}?_action=cfpUpdateProposal`, {
          code: workshop,
          version: "1",
          ...proposalFields({ format: "workshop", title: "Hands-on" }),
        })
      ).status,
    ).toBe(303);
    expect((await ada.post(`/cfp/proposals/${workshop}?_action=cfpSubmitProposal`, { code: workshop, version: "2" })).status).toBe(303);
    expect(proposalOf(workshop)).toMatchObject({ state: "submitted", title: "Hands-on" });
    // Bob has no link.
    expect((await bob.post("/cfp/proposals/new?_action=cfpCreateProposal", proposalFields({ format: "workshop" }))).status).toBe(403);
  });

  it("a late-submission link sent from the settings page redirects (a reload sends nothing more) and says until when", async () => {
    const chair = await who.staff("chair@example.org", ["organizer"]);
    const fields = { email: "late.speaker@example.org", days: "7", format: "", language: "fr" };
    const sent = await chair.post("/fr/admin/cfp/settings?_action=cfpGrantLate", fields);
    expect(sent.status).toBe(303);
    const location = sent.headers.get("location")!;
    expect(location).toMatch(/^\/fr\/admin\/cfp\/settings\?late=[^&#]+#late-link$/);
    expect(sql.get<{ n: number }>("select count(*) as n from outbox where recipient = ?", "late.speaker@example.org").n).toBe(1);
    const page = await (await chair.get(location.replace(/#.*/, ""))).text();
    expect(page).toContain("Le lien de soumission tardive est envoyé, valable jusqu’au");
    const bad = await chair.post("/admin/cfp/settings?_action=cfpGrantLate", { ...fields, email: "not-an-address", days: "0" });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('value="not-an-address"');
    expect(html).toContain('href="#f-days"');
  });
});

describe("ownership", () => {
  it("gives another speaker a 404 on the proposal's page and on every Action, and changes nothing", async () => {
    const code = await createDraft(ada);
    expect((await ada.post(`/cfp/proposals/${code}?_action=cfpInvite`, { code, email: "carol@example.org" })).status).toBe(303);
    const invitation = String(sql.get<{ id: number }>("select id from proposal_invitations where email = 'carol@example.org'").id);
    expect((await bob.get(`/cfp/proposals/${code}`)).status).toBe(404);
    expect((await bob.get(`/fr/cfp/proposals/${code}`)).status).toBe(404);
    expect((await bob.get("/cfp/proposals/ZZZZZZZZ")).status).toBe(404);
    expect(await (await bob.get("/cfp/proposals")).text()).not.toContain(code);
    const before = snapshot();
    const posts: [string, Record<string, string>][] = [
      ["cfpUpdateProposal", { code, version: "1", ...proposalFields({ title: "Mine now" }) }],
      ["cfpSubmitProposal", { code, version: "1" }],
      ["cfpWithdrawProposal", { code }],
      ["cfpInvite", { code, email: "mallory@example.org" }],
      ["cfpResendInvitation", { code, invitation }],
      ["cfpWithdrawInvitation", { code, invitation }],
      ["cfpAnswerAcceptance", { code, answer: "confirm" }],
      ["cfpAnswerAcceptance", { code, answer: "decline" }],
    ];
    for (const [action, fields] of posts) {
      const response = await bob.post(`/cfp/proposals/${code}?_action=${action}`, fields);
      expect(response.status, action).toBe(404);
      // Posted from another page, the Action says the same.
      expect((await bob.post(`/cfp/proposals?_action=${action}`, fields)).status, action).toBe(404);
    }
    expect(snapshot()).toEqual(before);
  });
});

describe("co-speakers", () => {
  it("invites by e-mail; resend kills the old link; the invitee accepts with a button and joins the proposal", async () => {
    const code = await createDraft(ada, { title: "Joint talk" });
    const bad = await ada.post(`/cfp/proposals/${code}?_action=cfpInvite`, { code, email: "not an address" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/id="f-email-error"[^>]*>\s*Enter an e-mail address like name@example\.org\./);
    expect(sql.get<{ n: number }>("select count(*) as n from proposal_invitations where proposal_id = ?", proposalOf(code).id).n).toBe(0);

    expect((await ada.post(`/cfp/proposals/${code}?_action=cfpInvite`, { code, email: "Dan@Example.org" })).status).toBe(303);
    const again = await ada.post(`/cfp/proposals/${code}?_action=cfpInvite`, { code, email: "dan@example.org" });
    expect(again.status).toBe(409);
    const first = deriveSecret(accounts.appKey, "cfp-invitation", nonceOf("dan@example.org", "cfp.invitation"));
    const mail = await waitForMail(server, "dan@example.org", "cfp.invitation");
    expect(mail.subject).toBe("Ada Lovelace invites you to speak – Safer World Forum");
    expect(mail.text).toContain(`/cfp/invitation/${first}`);
    const id = String(sql.get<{ id: number }>("select id from proposal_invitations where email = 'dan@example.org'").id);
    const page = await (await ada.get(`/cfp/proposals/${code}`)).text();
    expect(page).toContain("dan@example.org");
    expect(page).toContain("Waiting for an answer");

    expect((await ada.post(`/cfp/proposals/${code}?_action=cfpResendInvitation`, { code, invitation: id })).status).toBe(303);
    const second = deriveSecret(accounts.appKey, "cfp-invitation", nonceOf("dan@example.org", "cfp.invitation"));
    expect(second).not.toBe(first);

    // The link shows the invitation; GET changes nothing; a visitor is asked to sign in.
    const dan = await who.signedIn("dan@example.org");
    expect(await (await dan.get(`/cfp/invitation/${first}`)).text()).toContain("This invitation is not valid");
    const visitorView = await (await new Client(server).get(`/cfp/invitation/${second}`)).text();
    expect(visitorView).toContain("Ada Lovelace invites you to join the proposal “Joint talk” as a co-speaker.");
    expect(visitorView).toContain("Sign in to accept");
    expect(sql.get<{ state: string }>("select state from proposal_invitations where id = ?", id).state).toBe("pending");
    const stale = await dan.post(`/cfp/invitation/${first}?_action=cfpAcceptInvitation`, { token: first });
    expect(stale.status).toBe(404);

    const accepted = await dan.post(`/cfp/invitation/${second}?_action=cfpAcceptInvitation`, { token: second });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get("location")).toBe(`/cfp/proposals/${code}?notice=joined`);
    expect(sql.get<{ state: string }>("select state from proposal_invitations where id = ?", id).state).toBe("accepted");
    const joined = await (await dan.get(accepted.headers.get("location")!)).text();
    expect(joined).toContain("You are now a speaker of this proposal.");
    expect(joined).toContain("Joint talk");
    expect(
      sql.all<{ email: string }>(
        "select s.email from proposal_speakers ps join speakers s on s.id = ps.speaker_id where ps.proposal_id = ? order by ps.position",
        proposalOf(code).id,
      ),
    ).toEqual([{ email: "ada@example.org" }, { email: "dan@example.org" }]);
    // Ada is told; Dan, who has no name yet, is named by the address she invited.
    expect(toldOf("cfp.speaker_joined", code).map((m) => [m.recipient, m.language, m.payload.speaker])).toEqual([
      ["ada@example.org", "en", "dan@example.org"],
    ]);
    expect((await mailAbout("ada@example.org", "cfp.speaker_joined", code)).subject).toBe(
      "dan@example.org joined your proposal – Safer World Forum",
    );
  });

  it("withdraws an invitation (its link dies) and lets an invitee decline without signing in", async () => {
    const code = await createDraft(ada, { title: "Another talk" });
    await ada.post(`/cfp/proposals/${code}?_action=cfpInvite`, { code, email: "erin@example.org" });
    const erinToken = deriveSecret(accounts.appKey, "cfp-invitation", nonceOf("erin@example.org", "cfp.invitation"));
    const erin = String(sql.get<{ id: number }>("select id from proposal_invitations where email = 'erin@example.org'").id);
    expect((await ada.post(`/cfp/proposals/${code}?_action=cfpWithdrawInvitation`, { code, invitation: erin })).status).toBe(303);
    expect(await (await new Client(server).get(`/cfp/invitation/${erinToken}`)).text()).toContain("This invitation is not valid");
    expect((await ada.post(`/cfp/proposals/${code}?_action=cfpResendInvitation`, { code, invitation: erin })).status).toBe(409);

    await ada.post(`/cfp/proposals/${code}?_action=cfpInvite`, { code, email: "finn@example.org" });
    const finnToken = deriveSecret(accounts.appKey, "cfp-invitation", nonceOf("finn@example.org", "cfp.invitation"));
    const visitor = new Client(server);
    const declined = await visitor.post(`/cfp/invitation/${finnToken}?_action=cfpDeclineInvitation`, { token: finnToken });
    expect(declined.status).toBe(303);
    expect(await (await visitor.get(declined.headers.get("location")!)).text()).toContain("You declined the invitation.");
    expect(
      sql.all<{ state: string }>("select state from proposal_invitations where proposal_id = ? order by id", proposalOf(code).id),
    ).toEqual([{ state: "withdrawn" }, { state: "declined" }]);
    // The inviter is told who declined.
    expect(toldOf("cfp.invitation_declined", code).map((m) => [m.recipient, m.language, m.payload.invitee])).toEqual([
      ["ada@example.org", "en", "finn@example.org"],
    ]);
    expect((await mailAbout("ada@example.org", "cfp.invitation_declined", code)).text).toContain(
      "finn@example.org declined your invitation to join the proposal “Another talk” as a co-speaker.",
    );
    // Accepting needs a signed-in account.
    await ada.post(`/cfp/proposals/${code}?_action=cfpInvite`, { code, email: "gus@example.org" });
    const gusToken = deriveSecret(accounts.appKey, "cfp-invitation", nonceOf("gus@example.org", "cfp.invitation"));
    const anonymous = await visitor.post(`/cfp/invitation/${gusToken}?_action=cfpAcceptInvitation`, { token: gusToken });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toMatch(/^\/signin\?next=/);
    expect(sql.get<{ state: string }>("select state from proposal_invitations where email = 'gus@example.org'").state).toBe("pending");
  });
});

describe("invitations from one client", () => {
  it("are limited per address too, whatever the number of accounts (429 with Retry-After)", async () => {
    const limited = await startServer({ CONTENT_DIR: contentDir, CFP_INVITE_LIMIT_IP: "2/3600", MAIL_WORKER: "off" });
    const limitedAccounts = serverAccounts(limited);
    try {
      const crowd = people(limited, limitedAccounts);
      const [first, second] = [await crowd.signedIn("first@example.org"), await crowd.signedIn("second@example.org")];
      const [a, b] = [await createDraft(first), await createDraft(second)];
      expect((await first.post(`/cfp/proposals/${a}?_action=cfpInvite`, { code: a, email: "x1@example.org" })).status).toBe(303);
      expect((await second.post(`/cfp/proposals/${b}?_action=cfpInvite`, { code: b, email: "x2@example.org" })).status).toBe(303);
      const refused = await second.post(`/cfp/proposals/${b}?_action=cfpInvite`, { code: b, email: "x3@example.org" });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      const count = limitedAccounts.db.$client.prepare("select count(*) as n from proposal_invitations").get() as { n: number };
      expect(count.n).toBe(2);
    } finally {
      limitedAccounts.close();
      await limited.stop();
    }
  });
});
