// An accepted speaker answers from their proposal's page over HTTP (the e-mail's link may be lost):
// confirming makes the session, declining goes through a confirmation step that works without
// JavaScript, only the proposal's speakers may answer (a 404 for anyone else, nothing changed), and
// the page shows the session's day, time and room only once a release publishes them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmToken } from "../../src/lib/cfp/links.ts";
import { loadEdition } from "../../src/lib/config/edition.ts";
import { scheduleSession } from "../../src/lib/programme/editor.ts";
import { publishRelease } from "../../src/lib/programme/releases.ts";
import { pendingDigest, releaseDecisions, setPendingDecisions } from "../../src/lib/review/decisions.ts";
import { proposal, speakerProfile, user } from "../fixtures/cfp.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let ada: Client;
let bob: Client;
let mallory: Client;
let anonymous: Client;
const ids = { ada: 0, bob: 0, organizer: 0 };

const sql = {
  get: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T,
  all: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).all(...params) as T[],
  count: (query: string, ...params: unknown[]) => (accounts.db.$client.prepare(query).get(...params) as { n: number }).n,
};
/** Everything an answer may change. */
const snapshot = () =>
  sql.get(
    `select (select group_concat(code || state || coalesce(session_id, '-')) from proposals) as proposals,
      (select count(*) from sessions) as sessions, (select count(*) from session_speakers) as speakers,
      (select count(*) from audit_log) as audit, (select group_concat(coalesce(used_at, '-')) from cfp_tokens) as tokens,
      (select count(*) from outbox) as outbox`,
  );
/** The e-mails of `template` about proposal `code`: to whom, in which language. */
const toldOf = (template: string, code: string) =>
  sql.all(
    "select recipient, language from outbox where template = ? and json_extract(payload, '$.code') = ? order by rowid",
    template,
    code,
  );
const proposalRow = (code: string) =>
  sql.get<{ state: string; session_id: number | null }>("select state, session_id from proposals where code = ?", code);

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  const who = people(server, accounts);
  ada = await who.signedIn("ada@example.org");
  bob = await who.signedIn("bob@example.org");
  mallory = await who.signedIn("mallory@example.org");
  anonymous = new Client(server);
  ids.organizer = user(accounts.db, "chair@example.org", ["organizer"]).id;
  ids.ada = speakerProfile(accounts.db, "ada@example.org", { name: "Ada Example" }).id;
  ids.bob = speakerProfile(accounts.db, "bob@example.org", { name: "Bob Example", language: "fr" }).id;
  // Mallory speaks too, on a proposal of her own.
  proposal(accounts.db, [speakerProfile(accounts.db, "mallory@example.org", { name: "Mallory" }).id], { title: "Mallory’s talk" });
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

/** An accepted proposal by Ada and Bob (decision released); returns its code and the e-mail's link token. */
function accepted(title: string): { code: string; token: string } {
  const talk = sql.get<{ id: number }>("select id from formats where slug = 'talk'").id;
  const { code } = proposal(accounts.db, [ids.ada, ids.bob], { title, audience: "public", formatId: talk });
  const organizer = { id: ids.organizer, email: "chair@example.org" };
  setPendingDecisions(accounts.db, organizer, [code], "accepted");
  expect(releaseDecisions(accounts.db, accounts.appKey, organizer, pendingDigest(accounts.db))).toMatchObject({ ok: true, accepted: 1 });
  const { payload } = sql.get<{ payload: string }>(
    "select payload from outbox where template = 'cfp.accepted' and json_extract(payload, '$.code') = ? limit 1",
    code,
  );
  return { code, token: confirmToken(accounts.appKey, JSON.parse(payload).nonce) };
}

describe("answering an acceptance from the proposal's page", () => {
  it("a speaker confirms with a button: one session with the speakers in order; a second answer and the e-mail's link say it was done", async () => {
    const { code, token } = accepted("Tracing ransomware payments");
    const page = await (await ada.get(`/cfp/proposals/${code}`)).text();
    expect(page).toContain("Accepted: please confirm");
    expect(page).toContain("Will you present it?");
    expect(page).toContain(`action="?_action=cfpAnswerAcceptance"`);
    expect(page).toContain('name="answer" value="confirm"');
    expect(page).toContain('href="?decline=1#decline-title"');
    // Declining is only offered behind its confirmation step.
    expect(page).not.toContain('value="decline"');
    const sessions = sql.count("select count(*) as n from sessions");

    const confirmed = await ada.post(`/cfp/proposals/${code}?_action=cfpAnswerAcceptance`, { code, answer: "confirm" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe(`/cfp/proposals/${code}?notice=confirmed`);
    const row = proposalRow(code);
    expect(row.state).toBe("confirmed");
    expect(sql.count("select count(*) as n from sessions")).toBe(sessions + 1);
    expect(sql.all("select speaker_id as id from session_speakers where session_id = ? order by position", row.session_id)).toEqual([
      { id: ids.ada },
      { id: ids.bob },
    ]);
    expect(sql.get("select state, published, starts_at as startsAt from sessions where id = ?", row.session_id)).toEqual({
      state: "confirmed",
      published: 1,
      startsAt: null,
    });
    expect(sql.all("select actor_email as actor from audit_log where action = 'proposal.confirmed' and subject_id = ?", code)).toEqual([
      { actor: "ada@example.org" },
    ]);
    // Both speakers are told, each in their language.
    expect(toldOf("cfp.confirmed", code)).toEqual([
      { recipient: "ada@example.org", language: "en" },
      { recipient: "bob@example.org", language: "fr" },
    ]);
    expect(
      sql.get<{ used: number | null }>(
        "select used_at as used from cfp_tokens where proposal_id = (select id from proposals where code = ?)",
        code,
      ).used,
    ).not.toBeNull();

    const after = await (await ada.get(confirmed.headers.get("location")!)).text();
    expect(after).toContain("Thank you: your session is confirmed.");
    expect(after).toContain("Your session");
    expect(after).toContain("The organizers will place it in the programme");
    expect(after).not.toContain("_action=cfpAnswerAcceptance");
    const apres = await (await bob.get(`/fr/cfp/proposals/${code}`)).text();
    expect(apres).toContain("Votre session");
    expect(apres).toContain("Les organisateurs l’inscriront au programme");

    // The co-speaker's late answer, either way, changes nothing.
    const before = snapshot();
    const again = await bob.post(`/fr/cfp/proposals/${code}?_action=cfpAnswerAcceptance`, { code, answer: "decline" });
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe(`/fr/cfp/proposals/${code}?notice=alreadyAnswered`);
    expect(await (await bob.get(again.headers.get("location")!)).text()).toContain("C’était déjà fait");
    expect(snapshot()).toEqual(before);

    // The e-mail's link afterwards: already done.
    expect(await (await anonymous.get(`/cfp/confirm/${token}`)).text()).toContain("“Tracing ransomware payments” is confirmed.");
    const link = await anonymous.post(`/cfp/confirm/${token}?_action=proposalDecline`, { token });
    expect(link.headers.get("location")).toBe(`/cfp/confirm/${token}?done=already`);
    expect(snapshot()).toEqual(before);
  });

  it("a co-speaker declines through a confirmation step that works without JavaScript; no session is made", async () => {
    const { code } = accepted("Phishing kits in the wild");
    const step = await (await bob.get(`/cfp/proposals/${code}?decline=1`)).text();
    expect(step).toContain('id="decline-title"');
    expect(step).toContain("Decline “Phishing kits in the wild”? It will not be in the programme");
    expect(step).toContain(`action="?_action=cfpAnswerAcceptance"`);
    expect(step).toContain('name="answer" value="decline"');
    expect(step).toContain("Yes, decline");
    expect(step).toContain(`href="/cfp/proposals/${code}">No, go back</a>`);
    const etape = await (await bob.get(`/fr/cfp/proposals/${code}?decline=1`)).text();
    expect(etape).toContain("Décliner «\u202fPhishing kits in the wild\u202f»\u202f?");
    expect(etape).toContain("Oui, décliner");
    expect(etape).toContain(`href="/fr/cfp/proposals/${code}">Non, revenir en arrière</a>`);
    expect(proposalRow(code).state).toBe("accepted");

    const sessions = sql.count("select count(*) as n from sessions");
    const declined = await bob.post(`/cfp/proposals/${code}?_action=cfpAnswerAcceptance`, { code, answer: "decline" });
    expect(declined.status).toBe(303);
    expect(declined.headers.get("location")).toBe(`/cfp/proposals/${code}?notice=declined`);
    expect(proposalRow(code)).toEqual({ state: "declined", session_id: null });
    expect(sql.count("select count(*) as n from sessions")).toBe(sessions);
    expect(sql.all("select actor_email as actor from audit_log where action = 'proposal.declined' and subject_id = ?", code)).toEqual([
      { actor: "bob@example.org" },
    ]);
    expect(toldOf("cfp.declined", code)).toEqual([
      { recipient: "ada@example.org", language: "en" },
      { recipient: "bob@example.org", language: "fr" },
    ]);
    const page = await (await ada.get(`/cfp/proposals/${code}`)).text();
    expect(page).toContain("Declined");
    expect(page).not.toContain("_action=cfpAnswerAcceptance");
    expect(page).not.toContain("Your session");
  });

  it("refuses a stranger (404 on the page and the Action) and a bad answer; nothing changes", async () => {
    const { code } = accepted("Forensics of smart cars");
    const before = snapshot();
    expect((await mallory.get(`/cfp/proposals/${code}`)).status).toBe(404);
    expect((await mallory.get(`/cfp/proposals/${code}?decline=1`)).status).toBe(404);
    for (const answer of ["confirm", "decline"]) {
      const response = await mallory.post(`/cfp/proposals/${code}?_action=cfpAnswerAcceptance`, { code, answer });
      expect(response.status, answer).toBe(404);
      expect(await response.text()).not.toContain("Forensics of smart cars");
    }
    // Signed out: sent to sign in.
    const visitor = await anonymous.post(`/cfp/proposals/${code}?_action=cfpAnswerAcceptance`, { code, answer: "confirm" });
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toMatch(/^\/signin\?next=/);
    // Neither confirm nor decline: refused, nothing done.
    expect((await ada.post(`/cfp/proposals/${code}?_action=cfpAnswerAcceptance`, { code, answer: "maybe" })).status).toBe(400);
    expect(snapshot()).toEqual(before);
    expect(proposalRow(code).state).toBe("accepted");
  });

  it("a proposal that is not accepted cannot be answered", async () => {
    const { code } = proposal(accounts.db, [ids.ada], { title: "Still under review" });
    const before = snapshot();
    const response = await ada.post(`/cfp/proposals/${code}?_action=cfpAnswerAcceptance`, { code, answer: "confirm" });
    expect(response.status).toBe(409);
    expect(await response.text()).toContain("This is no longer possible for this proposal.");
    expect(snapshot()).toEqual(before);
  });
});

describe("the session's slot on the proposal's page", () => {
  it("appears, in the speaker's language with a link to the public page, only once a release places the session", async () => {
    const { code } = accepted("Cross-border evidence in the cloud");
    expect((await ada.post(`/cfp/proposals/${code}?_action=cfpAnswerAcceptance`, { code, answer: "confirm" })).status).toBe(303);
    const { session_id } = proposalRow(code);
    const session = sql.get<{ slug: string; version: number }>("select slug, version from sessions where id = ?", session_id);
    const room = sql.get<{ id: number; name: string }>("select id, name from rooms order by position, id limit 1");
    // 16:00-16:30 in Lyon (UTC+2 in July) on the first day.
    const scheduled = scheduleSession(
      accounts.db,
      loadEdition(),
      {
        slug: session.slug,
        version: session.version,
        startsAt: new Date("2013-07-02T14:00:00Z"),
        endsAt: new Date("2013-07-02T14:30:00Z"),
        roomId: room.id,
      },
      { id: ids.organizer, email: "chair@example.org" },
    );
    expect(scheduled.ok).toBe(true);

    // Placed in the editor only: the page still says it will be scheduled.
    const unpublished = await (await ada.get(`/cfp/proposals/${code}`)).text();
    expect(unpublished).toContain("The organizers will place it in the programme");
    expect(unpublished).not.toContain("Your session is in the published programme");
    expect(unpublished).not.toContain(`/sessions/${session.slug}`);

    publishRelease(accounts.db, { id: ids.organizer, email: "chair@example.org" }, "With the new session");
    const page = await (await ada.get(`/cfp/proposals/${code}`)).text();
    expect(page).toContain("Your session is in the published programme:");
    expect(page).toContain("<dd>Tuesday, 2 July 2013</dd>");
    expect(page).toContain('<time datetime="2013-07-02T14:00:00.000Z">16:00</time>');
    expect(page).toContain('<time datetime="2013-07-02T14:30:00.000Z">16:30</time>');
    expect(page).toContain(`<dd>${room.name}</dd>`);
    expect(page).toContain(`<a href="/sessions/${session.slug}">The session’s page in the programme</a>`);
    expect(page).not.toContain("The organizers will place it in the programme");
    const fr = await (await bob.get(`/fr/cfp/proposals/${code}`)).text();
    expect(fr).toContain("<dd>mardi 2 juillet 2013</dd>");
    expect(fr).toContain(`<a href="/fr/sessions/${session.slug}">La page de la session dans le programme</a>`);
    const publicPage = await anonymous.get(`/sessions/${session.slug}`);
    expect(publicPage.status).toBe(200);
    expect(await publicPage.text()).toContain("Cross-border evidence in the cloud");
  });
});
