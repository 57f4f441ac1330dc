// The committee's side of the call for papers over HTTP: criteria, assignments, reviews (never of
// one's own proposal), pending decisions and their release with e-mails held in the outbox until an
// organizer sends them, and the accepted speaker's confirmation making an unscheduled session.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmToken } from "../../src/lib/cfp/links.ts";
import { readMailbox } from "../../src/lib/email/mailbox.ts";
import { loadProgramme } from "../../src/lib/programme/queries.ts";
import { assignAll, criterion, proposal, speakerProfile, withoutDefaultCriterion } from "../fixtures/cfp.ts";
import { mailboxOf, waitForMail } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let organizer: Client;
let reviewer: Client;
let speaker: Client;
let anonymous: Client;
let relevance: number;
const ids = { reviewer: 0 };
const props: Record<string, { id: number; code: string; title: string }> = {};

const sql = {
  get: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T,
  all: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).all(...params) as T[],
  count: (query: string, ...params: unknown[]) => (accounts.db.$client.prepare(query).get(...params) as { n: number }).n,
};
/** Everything the committee's Actions may change. */
const snapshot = () =>
  sql.get(
    `select (select count(*) from audit_log) as audit, (select count(*) from outbox) as outbox,
      (select group_concat(state || coalesce(pending_state, '')) from proposals) as proposals,
      (select count(*) from reviews) as reviews, (select count(*) from review_criteria) as criteria,
      (select count(*) from reviewer_assignments) as assignments, (select count(*) from sessions) as sessions,
      (select count(*) from proposal_messages) as messages`,
  );
/** The `expected` confirmation a page's form posts (release of decisions, or sending every held message). */
const expectedOf = (html: string) => /name="expected" value="([^"]+)"/.exec(html)![1]!;
const refused = (response: Response) =>
  response.status === 401 ||
  response.status === 403 ||
  (response.status === 303 && /\/signin/.test(response.headers.get("location") ?? ""));

beforeAll(async () => {
  server = await startServer({ MAIL_POLL_MS: "100" });
  accounts = serverAccounts(server);
  const who = people(server, accounts);
  organizer = await who.staff("organizer@example.org", ["organizer"]);
  reviewer = await who.staff("rita@example.org", ["reviewer"]);
  speaker = await who.signedIn("ada@example.org");
  anonymous = new Client(server);
  ids.reviewer = sql.get<{ id: number }>("select id from users where email = 'rita@example.org'").id;
  const db = accounts.db;
  const ada = speakerProfile(db, "ada@example.org", { name: "Ada Hidden-Name", affiliation: "Hidden Lab" });
  const bob = speakerProfile(db, "bob@example.org", { name: "Bob Example", language: "fr" });
  // The reviewer also speaks: on this proposal they must never be a reviewer.
  const rita = speakerProfile(db, "rita@example.org", { name: "Rita Reviewer" });
  props.a = proposal(db, [ada.id, bob.id], { title: "Tracing ransomware payments" });
  props.b = proposal(db, [bob.id], { title: "Phishing kits in the wild" });
  props.c = proposal(db, [ada.id], { title: "Forensics of smart cars" });
  props.own = proposal(db, [ada.id, rita.id], { title: "Reviewer’s own talk" });
  // This committee scores on criteria of its own (the default one is tested in safety-nets.test.ts).
  withoutDefaultCriterion(db);
  relevance = criterion(db, { nameEn: "Relevance", nameFr: "Pertinence", scaleMin: 0, scaleMax: 5, weight: 2 });
  assignAll(db, ids.reviewer);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

describe("committee settings", () => {
  it("an organizer adds a criterion; bad input is refused by the field, the typed values kept", async () => {
    const ok = await organizer.post("/admin/cfp/settings?_action=reviewCriterionSave", {
      nameEn: "Clarity",
      nameFr: "Clarté",
      scaleMin: "1",
      scaleMax: "3",
      weight: "1",
      position: "1",
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/admin/cfp/settings?done=criterion");
    expect(sql.get("select name_fr as fr, scale_min as lo, scale_max as hi from review_criteria where name_en = 'Clarity'")).toEqual({
      fr: "Clarté",
      lo: 1,
      hi: 3,
    });

    const before = snapshot();
    const bad = await organizer.post("/fr/admin/cfp/settings?_action=reviewCriterionSave", {
      nameEn: "Originality",
      nameFr: "",
      scaleMin: "5",
      scaleMax: "2",
      weight: "0",
      position: "2",
    });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain("La note la plus haute doit dépasser la plus basse.");
    expect(html).toContain("Le poids doit être supérieur à zéro.");
    expect(html).toMatch(/id="f-nameEn"[^>]*value="Originality"|value="Originality"[^>]*id="f-nameEn"/);
    expect(snapshot()).toEqual(before);
  });

  it("an organizer saves what reviewers see, and assigns reviewers; an unknown proposal code is refused", async () => {
    expect((await organizer.post("/admin/cfp/settings?_action=reviewSettingsSave", { hideSpeakerNames: "on" })).status).toBe(303);
    expect(sql.get("select hide_speaker_names as h, others_after_own as o from review_settings")).toEqual({ h: 1, o: 0 });
    const bad = await organizer.post("/admin/cfp/reviewers?_action=reviewerAssign", {
      userId: String(ids.reviewer),
      scope: "proposal",
      code: "NOPE1",
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("No submitted proposal has this code.");
    const ok = await organizer.post("/admin/cfp/reviewers?_action=reviewerAssign", {
      userId: String(ids.reviewer),
      scope: "proposal",
      code: props.b!.code,
    });
    expect(ok.status).toBe(303);
    expect(sql.count("select count(*) as n from reviewer_assignments where user_id = ?", ids.reviewer)).toBe(2);
  });

  it("an organizer deletes a criterion and removes an assignment; unknown ones are refused", async () => {
    const spare = criterion(accounts.db, { nameEn: "Spare", nameFr: "Réserve" });
    // Deleting takes its scores with it: the page asks first.
    const settings = await (await organizer.get("/admin/cfp/settings")).text();
    expect(settings).toContain(`href="/admin/cfp/settings?delete=${spare}#c${spare}-title"`);
    expect(settings).not.toContain("_action=reviewCriterionDelete");
    const step = await (await organizer.get(`/admin/cfp/settings?delete=${spare}`)).text();
    expect(step).toContain("Delete “Spare”? The scores reviewers gave on it are deleted too");
    expect(step).toContain("_action=reviewCriterionDelete");
    expect(await (await organizer.get(`/fr/admin/cfp/settings?delete=${spare}`)).text()).toContain("Oui, le supprimer");
    expect(sql.count("select count(*) as n from review_criteria where id = ?", spare)).toBe(1);
    expect((await organizer.post("/admin/cfp/settings?_action=reviewCriterionDelete", { id: String(spare) })).status).toBe(303);
    expect(sql.count("select count(*) as n from review_criteria where id = ?", spare)).toBe(0);
    expect((await organizer.post("/admin/cfp/settings?_action=reviewCriterionDelete", { id: String(spare) })).status).toBe(404);
    expect((await organizer.post("/admin/cfp/settings?_action=reviewCriterionDelete", { id: "x" })).status).toBe(400);
    expect(
      (await organizer.post("/admin/cfp/reviewers?_action=reviewerAssign", { userId: String(ids.reviewer), scope: "track", code: "" }))
        .status,
    ).toBe(400);
    const trackId = sql.get<{ id: number }>("select id from tracks order by id limit 1").id;
    expect(
      (
        await organizer.post("/admin/cfp/reviewers?_action=reviewerAssign", {
          userId: String(ids.reviewer),
          scope: "track",
          trackId: String(trackId),
          code: "",
        })
      ).status,
    ).toBe(303);
    const assignment = sql.get<{ id: number }>("select id from reviewer_assignments where scope = 'track'").id;
    expect((await organizer.post("/admin/cfp/reviewers?_action=reviewerUnassign", { id: String(assignment) })).status).toBe(303);
    expect((await organizer.post("/admin/cfp/reviewers?_action=reviewerUnassign", { id: String(assignment) })).status).toBe(404);
  });

  it("the reviewers page offers the proposals by title rather than asking for a code", async () => {
    const html = await (await organizer.get("/admin/cfp/reviewers")).text();
    expect(html).toMatch(/<select id="f-code" name="code"/);
    expect(html).toContain(`<option value="${props.a!.code}">Tracing ransomware payments (${props.a!.code})</option>`);
  });

  it("refuses the organizers' settings Actions to a reviewer, a speaker and an anonymous visitor, changing nothing", async () => {
    const before = snapshot();
    for (const client of [reviewer, speaker, anonymous]) {
      for (const [path, fields] of [
        [
          "/admin/cfp/settings?_action=reviewCriterionSave",
          { nameEn: "X", nameFr: "X", scaleMin: "0", scaleMax: "5", weight: "1", position: "0" },
        ],
        ["/admin/cfp/settings?_action=reviewCriterionDelete", { id: String(relevance) }],
        ["/admin/cfp/settings?_action=reviewSettingsSave", { hideSpeakerNames: "on", othersAfterOwn: "on" }],
        ["/admin/cfp/reviewers?_action=reviewerAssign", { userId: String(ids.reviewer), scope: "all", code: "" }],
        ["/admin/cfp/reviewers?_action=reviewerUnassign", { id: "1" }],
      ] as const) {
        const response = await client.post(path, fields);
        expect(refused(response), `${path}: ${response.status}`).toBe(true);
      }
    }
    expect(snapshot()).toEqual(before);
  });
});

describe("reviews", () => {
  it("the queue lists the assigned proposals without names, never the reviewer's own", async () => {
    const response = await reviewer.get("/admin/reviews");
    expect(response.status).toBe(200);
    const html = await response.text();
    for (const p of [props.a, props.b, props.c]) expect(html).toContain(p!.title);
    expect(html).not.toContain(props.own!.code);
    expect(html).not.toContain("Reviewer’s own talk");
    const page = await (await reviewer.get(`/admin/reviews/${props.a!.code}`)).text();
    expect(page).toContain("Tracing ransomware payments");
    // Words, not the stored codes.
    expect(page).toContain("<dd>Everyone</dd>");
    expect(page).toContain("<dd>TLP:CLEAR</dd>");
    expect(page).not.toContain("<dd>public</dd>");
    expect(await (await reviewer.get(`/fr/admin/reviews/${props.a!.code}`)).text()).toContain("<dd>Tout public</dd>");
    for (const secret of ["Ada Hidden-Name", "Hidden Lab", "ada@example.org", "bob@example.org"]) expect(page).not.toContain(secret);
    expect((await reviewer.get(`/admin/reviews/${props.own!.code}`)).status).toBe(404);
    // The admin home shows the reviewer their queue (and not the organizers' pages).
    const home = await (await reviewer.get("/admin")).text();
    expect(home).toContain('href="/admin/reviews"');
    expect(home).not.toContain('href="/admin/cfp"');
  });

  it("a reviewer scores a proposal; a missing score is refused by its field; a second review replaces the first", async () => {
    const clarity = sql.get<{ id: number }>("select id from review_criteria where name_en = 'Clarity'").id;
    const before = snapshot();
    const bad = await reviewer.post(`/admin/reviews/${props.a!.code}?_action=reviewSubmit`, {
      code: props.a!.code,
      [`score-${relevance}`]: "4",
      comment: "Kept text",
    });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain("Choose a score, or abstain.");
    expect(html).toContain(`href="#f-score-${clarity}"`);
    expect(html).toContain("Kept text");
    expect(html).toMatch(new RegExp(`value="4"[^>]*checked|checked[^>]*value="4"`));
    expect(snapshot()).toEqual(before);

    const ok = await reviewer.post(`/admin/reviews/${props.a!.code}?_action=reviewSubmit`, {
      code: props.a!.code,
      [`score-${relevance}`]: "4",
      [`score-${clarity}`]: "3",
      comment: "Good",
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`/admin/reviews/${props.a!.code}?saved=1`);
    const again = await reviewer.post(`/fr/admin/reviews/${props.a!.code}?_action=reviewSubmit`, {
      code: props.a!.code,
      [`score-${relevance}`]: "5",
      [`score-${clarity}`]: "3",
      comment: "Better",
    });
    expect(again.status).toBe(303);
    expect(
      sql.all("select r.comment, s.score from reviews r join review_scores s on s.review_id = r.id where s.criterion_id = ?", relevance),
    ).toEqual([{ comment: "Better", score: 5 }]);
    expect(
      (await reviewer.post(`/admin/reviews/${props.b!.code}?_action=reviewSubmit`, { code: props.b!.code, abstain: "on", comment: "" }))
        .status,
    ).toBe(303);
    const queue = await (await reviewer.get("/admin/reviews")).text();
    expect(queue).toContain("Abstained");
    expect(queue).toContain("2 of 3 reviewed.");
    expect(await (await reviewer.get("/fr/admin/reviews")).text()).toContain("2 sur 3 évaluées.");
    // After a save, the next proposal still without a review is one click away.
    const saved = await (await reviewer.get(`/admin/reviews/${props.b!.code}?saved=1`)).text();
    expect(saved).toContain(`href="/admin/reviews/${props.c!.code}">Next to review: “Forensics of smart cars”</a>`);
    const savedFr = await (await reviewer.get(`/fr/admin/reviews/${props.b!.code}?saved=1`)).text();
    expect(savedFr).toContain(
      `href="/fr/admin/reviews/${props.c!.code}">À évaluer ensuite\u00a0: «\u202fForensics of smart cars\u202f»</a>`,
    );
  });

  it("a reviewer cannot score a proposal they speak on, even by posting directly; others cannot review at all", async () => {
    const before = snapshot();
    const own = await reviewer.post(`/admin/reviews/${props.c!.code}?_action=reviewSubmit`, {
      code: props.own!.code,
      [`score-${relevance}`]: "5",
      abstain: "on",
      comment: "Mine",
    });
    expect(own.status).toBe(403);
    expect(await own.text()).toContain("You speak on this proposal");
    for (const client of [speaker, anonymous]) {
      const response = await client.post(`/admin/reviews/${props.c!.code}?_action=reviewSubmit`, {
        code: props.c!.code,
        abstain: "on",
        comment: "",
      });
      expect(refused(response)).toBe(true);
    }
    expect(snapshot()).toEqual(before);
  });
});

describe("decisions", () => {
  it("organizers see the scores; only they may decide, release, write or touch held mail", async () => {
    const words = await (await organizer.get(`/admin/cfp/${props.a!.code}`)).text();
    expect(words).toContain("<dd>Everyone</dd>");
    expect(words).toContain("<dd>TLP:CLEAR</dd>");
    expect(await (await organizer.get(`/fr/admin/cfp/${props.a!.code}`)).text()).toContain("<dd>Tout public</dd>");
    const list = await (await organizer.get("/admin/cfp?sort=mean&dir=desc")).text();
    // Relevance 5/5 (×2) and clarity 3 on 1..3: 100.
    expect(list).toMatch(/Tracing ransomware payments[\s\S]*?<td data-label="Mean">100\.0<\/td>/);
    const detail = await (await organizer.get(`/admin/cfp/${props.a!.code}`)).text();
    expect(detail).toContain("Ada Hidden-Name");
    expect(detail).toContain("Better");

    const before = snapshot();
    for (const client of [reviewer, speaker, anonymous]) {
      for (const [path, fields] of [
        ["/admin/cfp?_action=proposalsDecide", { codes: props.a!.code, decision: "accepted" }],
        ["/admin/cfp?_action=decisionsRelease", { expected: "x" }],
        [`/admin/cfp/${props.a!.code}?_action=proposalMessage`, { code: props.a!.code, body: "Hello" }],
        ["/admin/mail?_action=heldMailSend", { id: "all", expected: "x" }],
        ["/admin/mail?_action=heldMailCancel", { id: "00000000-0000-4000-8000-000000000000" }],
      ] as const) {
        const response = await client.post(path, fields);
        expect(refused(response), `${path}: ${response.status}`).toBe(true);
      }
    }
    expect(snapshot()).toEqual(before);
  });

  it("pending decisions are released together, their e-mails held until an organizer sends them; never two decisions", async () => {
    const none = await organizer.post("/admin/cfp?_action=proposalsDecide", { decision: "accepted" });
    expect(none.status).toBe(400);
    expect(await none.text()).toContain("Select at least one proposal.");
    expect(
      (await organizer.post("/admin/cfp?_action=proposalsDecide", { codes: [props.a!.code, props.c!.code], decision: "accepted" })).status,
    ).toBe(303);
    // Words to the speakers are kept by the field when too long, and nothing is decided.
    const long = await organizer.post(`/admin/cfp/${props.b!.code}?_action=proposalsDecide`, {
      codes: props.b!.code,
      decision: "rejected",
      reason: "x".repeat(2001),
    });
    expect(long.status).toBe(400);
    expect(await long.text()).toMatch(/id="f-reason-error"/);
    expect(
      (
        await organizer.post(`/admin/cfp/${props.b!.code}?_action=proposalsDecide`, {
          codes: props.b!.code,
          decision: "rejected",
          reason: "Out of scope for this edition.",
        })
      ).status,
    ).toBe(303);
    expect(await (await organizer.get(`/admin/cfp/${props.b!.code}`)).text()).toContain("Out of scope for this edition.");

    const confirmStep = await (await organizer.get("/admin/cfp?release=confirm")).text();
    expect(confirmStep).toContain("Release 3 decisions");
    // What is confirmed is the set of (proposal, decision) shown, not just how many.
    const shown = expectedOf(confirmStep);
    expect((await organizer.post("/admin/cfp?_action=decisionsRelease", { expected: "3" })).status).toBe(409);
    // Meanwhile another organizer turns one decision: still 3 pending, but not those confirmed.
    const decide = (decision: string) => organizer.post("/admin/cfp?_action=proposalsDecide", { codes: props.c!.code, decision });
    expect((await decide("rejected")).status).toBe(303);
    const stale = await organizer.post("/admin/cfp?_action=decisionsRelease", { expected: shown });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain("The pending decisions changed meanwhile.");
    expect(sql.count("select count(*) as n from proposals where state <> 'submitted'")).toBe(0);
    expect((await decide("accepted")).status).toBe(303);

    const released = await organizer.post("/admin/cfp?_action=decisionsRelease", { expected: shown });
    expect(released.status).toBe(303);
    expect(released.headers.get("location")).toBe("/admin/cfp?released=3&messages=4");
    expect(
      sql
        .all("select code, state from proposals where code in (?, ?, ?) order by code", props.a!.code, props.b!.code, props.c!.code)
        .map((r) => (r as { state: string }).state)
        .sort(),
    ).toEqual(["accepted", "accepted", "rejected"]);

    // Re-deciding a released proposal is refused: it can never get the other message.
    const again = await organizer.post("/admin/cfp?_action=proposalsDecide", { codes: props.a!.code, decision: "rejected" });
    expect(again.status).toBe(409);
    expect(
      sql.count(
        "select count(*) as n from outbox where template in ('cfp.accepted', 'cfp.rejected') and json_extract(payload, '$.code') = ?",
        props.a!.code,
      ),
    ).toBe(2);
    expect(
      sql.count("select count(*) as n from outbox where template = 'cfp.rejected' and json_extract(payload, '$.code') = ?", props.a!.code),
    ).toBe(0);

    // Held: the worker (polling every 100 ms) delivers nothing meanwhile.
    await new Promise((r) => setTimeout(r, 600));
    expect((await readMailbox(mailboxOf(server))).filter((m) => m.template.startsWith("cfp."))).toEqual([]);
    const outbox = await (await organizer.get("/admin/mail?state=held")).text();
    expect(outbox).toContain("Held for review (4)");
    expect(outbox).toContain("Send the held message to ada@example.org");

    // "Send all" confirms the held messages shown: once one is cancelled, that confirmation no longer holds.
    const shownHeld = expectedOf(outbox);
    const wrong = sql.get<{ id: string }>("select id from outbox where template = 'cfp.rejected' and recipient = 'bob@example.org'").id;
    const cancelled = await organizer.post("/admin/mail?_action=heldMailCancel", { id: wrong });
    expect(cancelled.status).toBe(303);
    expect((await organizer.post("/admin/mail?_action=heldMailCancel", { id: wrong })).status).toBe(409);
    expect((await organizer.post("/admin/mail?_action=heldMailSend", { id: "not-an-id" })).status).toBe(400);
    expect((await organizer.post("/admin/mail?_action=heldMailSend", { id: "all" })).status).toBe(400);
    const changed = await organizer.post("/admin/mail?_action=heldMailSend", { id: "all", expected: shownHeld });
    expect(changed.status).toBe(409);
    expect(await changed.text()).toContain("The held messages changed since this page was shown: nothing was sent.");
    expect(sql.count("select count(*) as n from outbox where state = 'pending' and next_attempt_at < 253402214400000")).toBe(0);
    const now = await (await organizer.get("/fr/admin/mail?state=held")).text();
    expect(now).toContain("Envoyer tous les messages retenus (3)");
    const sent = await organizer.post("/fr/admin/mail?_action=heldMailSend", { id: "all", expected: expectedOf(now) });
    expect(sent.status).toBe(303);
    expect(sent.headers.get("location")).toBe("/fr/admin/mail?released=3");
    const accepted = await waitForMail(server, "ada@example.org", "cfp.accepted");
    expect(accepted.text).toContain("/cfp/confirm/");
    await waitForMail(server, "bob@example.org", "cfp.accepted");
    await new Promise((r) => setTimeout(r, 300));
    expect((await readMailbox(mailboxOf(server))).filter((m) => m.template === "cfp.rejected")).toEqual([]);
    expect(sql.get("select state, last_error as e from outbox where id = ?", wrong)).toEqual({
      state: "cancelled",
      e: "Cancelled before sending by organizer@example.org",
    });
    // Cancelled is its own state: listed as such, and the ordinary retry refuses it.
    const cancelledList = await (await organizer.get("/admin/mail?state=cancelled")).text();
    expect(cancelledList).toContain("Cancelled (1)");
    expect(cancelledList).toContain("bob@example.org");
    expect(cancelledList).not.toContain("_action=mailRetry");
    expect(await (await organizer.get("/fr/admin/mail?state=cancelled")).text()).toContain("Annulé (1)");
    const retry = await organizer.post("/admin/mail?_action=mailRetry", { id: wrong });
    expect(retry.status).toBe(409);
    expect(await retry.text()).toContain("This message was cancelled before sending: it cannot be retried.");
    expect(sql.get<{ state: string }>("select state from outbox where id = ?", wrong).state).toBe("cancelled");
  });

  it("an organizer writes to a proposal's speakers; an empty message is refused by the field", async () => {
    const empty = await organizer.post(`/admin/cfp/${props.c!.code}?_action=proposalMessage`, { code: props.c!.code, body: "  " });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('id="f-body-error"');
    const ok = await organizer.post(`/admin/cfp/${props.c!.code}?_action=proposalMessage`, {
      code: props.c!.code,
      body: "Please send slides.",
    });
    expect(ok.status).toBe(303);
    await waitForMail(server, "ada@example.org", "cfp.message");
  });
});

describe("confirmation by the accepted speaker", () => {
  const tokenOf = (code: string) => {
    const { payload } = sql.get<{ payload: string }>(
      "select payload from outbox where template = 'cfp.accepted' and json_extract(payload, '$.code') = ? limit 1",
      code,
    );
    return confirmToken(accounts.appKey, JSON.parse(payload).nonce);
  };

  it("GET only asks; confirming makes an unscheduled session with the speakers in order, visible in the editor's data; a second click says it was done", async () => {
    const token = tokenOf(props.a!.code);
    const page = await anonymous.get(`/cfp/confirm/${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Tracing ransomware payments");
    expect(html).toContain("_action=proposalConfirm");
    expect(html).toContain("_action=proposalDecline");
    expect((await anonymous.get(`/fr/cfp/confirm/${token}`)).status).toBe(200);
    expect(sql.get<{ state: string }>("select state from proposals where id = ?", props.a!.id).state).toBe("accepted");

    const confirmed = await anonymous.post(`/cfp/confirm/${token}?_action=proposalConfirm`, { token });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe(`/cfp/confirm/${token}?done=confirmed`);
    const row = sql.get<{ state: string; session_id: number }>("select state, session_id from proposals where id = ?", props.a!.id);
    expect(row.state).toBe("confirmed");
    const session = loadProgramme(accounts.db).sessions.find((s) => s.id === row.session_id)!;
    const speakerIds = sql
      .all<{ id: number }>("select speaker_id as id from proposal_speakers where proposal_id = ? order by position", props.a!.id)
      .map((s) => s.id);
    expect(session).toMatchObject({
      title: { en: "Tracing ransomware payments", fr: "" },
      state: "confirmed",
      published: true,
      startsAt: null,
      room: null,
      speakerIds,
    });

    const twice = await anonymous.post(`/fr/cfp/confirm/${token}?_action=proposalDecline`, { token });
    expect(twice.status).toBe(303);
    expect(twice.headers.get("location")).toBe(`/fr/cfp/confirm/${token}?done=already`);
    expect(await (await anonymous.get(`/fr/cfp/confirm/${token}?done=already`)).text()).toContain("C’était déjà fait.");
    expect(sql.get<{ state: string }>("select state from proposals where id = ?", props.a!.id).state).toBe("confirmed");
    const detail = await (await organizer.get(`/admin/cfp/${props.a!.code}`)).text();
    expect(detail).toContain(`href="/admin/programme/sessions/${session.slug}">Open it in the programme editor</a>`);
    // And back: the session's page in the editor links its proposal.
    expect(await (await organizer.get(`/admin/programme/sessions/${session.slug}`)).text()).toContain(
      `href="/admin/cfp/${props.a!.code}">Its proposal in the call for papers</a>`,
    );
    expect(await (await organizer.get(`/fr/admin/programme/sessions/${session.slug}`)).text()).toContain(
      `href="/fr/admin/cfp/${props.a!.code}">Sa proposition dans l’appel à communications</a>`,
    );
    // Not public before the editor places it and a release publishes it.
    expect(await (await anonymous.get("/programme")).text()).not.toContain("Tracing ransomware payments");
  });

  it("declining makes no session; an unknown link is a 404", async () => {
    const token = tokenOf(props.c!.code);
    const sessions = sql.count("select count(*) as n from sessions");
    expect((await anonymous.post(`/cfp/confirm/${token}?_action=proposalDecline`, { token })).status).toBe(303);
    expect(sql.get("select state, session_id as s from proposals where id = ?", props.c!.id)).toEqual({ state: "declined", s: null });
    expect(sql.count("select count(*) as n from sessions")).toBe(sessions);
    const unknown = "A".repeat(43);
    expect((await anonymous.get(`/cfp/confirm/${unknown}`)).status).toBe(404);
    expect((await anonymous.post(`/cfp/confirm/${unknown}?_action=proposalConfirm`, { token: unknown })).status).toBe(404);
  });
});

describe("a reviewer who became a speaker", () => {
  it("has their review shown to the organizers as not counted, and left out of the score", async () => {
    // Rita scored proposal A; she now accepts an invitation to speak on it.
    const before = await (await organizer.get(`/admin/cfp/${props.a!.code}`)).text();
    expect(before).toContain("rita@example.org");
    expect(before).not.toContain("Not counted: now a speaker");
    expect(before).toMatch(/Reviews:\s*1\b/);
    accounts.db.$client
      .prepare(
        "insert into proposal_invitations (proposal_id, email, token_hash, state, invited_by, sent_at) values (?, 'rita@example.org', 'x', 'accepted', ?, 0)",
      )
      .run(props.a!.id, ids.reviewer);
    const after = await (await organizer.get(`/admin/cfp/${props.a!.code}`)).text();
    expect(after).toContain("Not counted: now a speaker");
    expect(after).toMatch(/Reviews:\s*0\b/);
    expect(await (await organizer.get(`/fr/admin/cfp/${props.a!.code}`)).text()).toContain("Non comptée\u00a0: désormais intervenant");
  });
});
