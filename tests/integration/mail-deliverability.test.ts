// What becomes of the mail after it is sent, and of group messages while they go, over HTTP: the
// Resend webhook (signature, replay window, outcomes), bounces on /admin/mail and on the
// registration, and a group message's progress, pause and resume through the organizers' forms.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailEvent, signWebhook, WEBHOOK_SECRET } from "../helpers/fake-resend.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
let organizer: Client;
beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  organizer = await who.staff("organizer@example.org", ["organizer"]);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

const sql = {
  get: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T,
  run: (query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).run(...params),
  count: (query: string, ...params: unknown[]) => (accounts.db.$client.prepare(query).get(...params) as { n: number }).n,
};

/** Posts a webhook body with `headers` (signed with the secret unless given). */
function webhook(body: string, headers: Record<string, string> = signWebhook(body)) {
  return fetch(`${server.url}/webhooks/resend`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

/** The words of a page: tags out, entities decoded, spaces collapsed. */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&#(x?)([0-9a-f]+);/gi, (_, hex: string, n: string) => String.fromCodePoint(parseInt(n, hex ? 16 : 10)))
    .replace(/&(quot|amp|lt|gt|apos);/g, (_, e: string) => ({ quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" })[e]!)
    .replace(/\s+/g, " ");

describe("the Resend webhook", () => {
  it("records a bounced address confirmation on its message and its registration, for the organizers to see", async () => {
    const registrationId = await who.register("typo@exmaple.org", "industry", { confirm: false });
    const message = sql.get<{ id: string }>(
      "select id from outbox where registration_id = ? and template = 'registration.confirm_address'",
      registrationId,
    );
    sql.run("update outbox set state = 'sent', provider_message_id = 're-bounce', sent_at = ? where id = ?", Date.now(), message.id);
    const body = emailEvent("email.bounced", "re-bounce", {
      bounce: { type: "Permanent", subType: "General", message: "The recipient's mailbox does not exist." },
    });
    const response = await webhook(body);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("recorded\n");
    const detail = "Permanent (General): The recipient's mailbox does not exist.";
    expect(sql.get("select delivery, delivery_detail from outbox where id = ?", message.id)).toEqual({
      delivery: "bounced",
      delivery_detail: detail,
    });
    expect(sql.get("select email_bounce from registrations where id = ?", registrationId)).toEqual({ email_bounce: detail });

    // The outbox list, filtered to problems, shows it with the provider's reason.
    const problems = text(await (await organizer.get("/admin/mail?delivery=problem")).text());
    expect(problems).toContain("typo@exmaple.org");
    expect(problems).toContain("Bounced");
    expect(problems).toContain(detail);
    expect(problems).toContain("1 message ·");
    expect(text(await (await organizer.get("/fr/admin/mail?delivery=bounced")).text())).toContain("Rejeté");
    // And the message's own page.
    const one = text(await (await organizer.get(`/admin/mail/${message.id}`)).text());
    expect(one).toMatch(/Delivery report Bounced/);
    expect(one).toContain(detail);
    // The registration, in the list and on its page.
    expect(text(await (await organizer.get("/admin/registrations?status=pending_email")).text())).toMatch(
      /typo@exmaple\.org Address bounced/,
    );
    const page = text(await (await organizer.get(`/admin/registrations/${registrationId}`)).text());
    expect(page).toContain("The address confirmation sent to typo@exmaple.org bounced");
    expect(page).toContain(detail);
  });

  it("refuses a bad, stale or replayed signature with 401 and records nothing", async () => {
    const id = sql.get<{ id: string }>("select id from outbox order by rowid limit 1").id;
    sql.run("update outbox set state = 'sent', provider_message_id = 're-signed', delivery = null where id = ?", id);
    const body = emailEvent("email.delivered", "re-signed");
    const good = signWebhook(body, { id: "msg_replay" });
    const events = () => sql.count("select count(*) as n from mail_webhook_events");
    const before = events();
    for (const [what, headers, payload] of [
      ["tampered body", good, body.replace("email.delivered", "email.complained")],
      ["wrong secret", signWebhook(body, { id: "msg_other", secret: `whsec_${Buffer.from("not the secret").toString("base64")}` }), body],
      ["stale timestamp", signWebhook(body, { id: "msg_stale", at: Date.now() - 10 * 60_000 }), body],
      ["no signature", { "svix-id": "msg_none", "svix-timestamp": String(Math.floor(Date.now() / 1000)) }, body],
    ] as const) {
      const response = await webhook(payload, headers);
      expect(response.status, what).toBe(401);
      expect(await response.text(), what).toBe("Invalid signature\n");
    }
    expect(events()).toBe(before);
    expect(sql.get("select delivery from outbox where id = ?", id)).toEqual({ delivery: null });

    expect((await webhook(body, good)).status).toBe(200);
    expect(sql.get("select delivery from outbox where id = ?", id)).toEqual({ delivery: "delivered" });
    sql.run("update outbox set delivery = null where id = ?", id);
    const replayed = await webhook(body, good);
    expect(replayed.status).toBe(401);
    expect(await replayed.text()).toBe("Already received\n");
    expect(sql.get("select delivery from outbox where id = ?", id)).toEqual({ delivery: null });
    expect(events()).toBe(before + 1);
  });

  it("takes POST only, refuses a body too large, and a signed body that is not an event", async () => {
    expect((await fetch(`${server.url}/webhooks/resend`)).status).toBe(405);
    const large = JSON.stringify({ type: "email.delivered", padding: "x".repeat(300 * 1024) });
    expect((await webhook(large)).status).toBe(413);
    expect((await webhook("not json")).status).toBe(400);
  });
});

describe("a group message while it goes", () => {
  it("shows its progress, and pauses and resumes through the forms with an audit entry each", async () => {
    for (let i = 0; i < 3; i++) await who.register(`group-${i}@example.org`, "industry");
    const unknown = "3f0e1c2d-4b5a-4c6d-8e7f-90a1b2c3d4e5";
    const compose = {
      category: "",
      status: "confirmed",
      country: "",
      verified: "",
      subjectEn: "Practical details",
      bodyEn: "Doors open at 8:30.",
      subjectFr: "Informations pratiques",
      bodyFr: "Ouverture des portes à 8 h 30.",
    };
    // Previewed, then sent through the compose form (its key comes from the preview).
    const previewed = await (await organizer.post("/admin/mail/compose?_action=mailPreview", compose)).text();
    const hidden = Object.fromEntries(
      [...previewed.matchAll(/<input type="hidden" name="(key|proof)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    expect((await organizer.post("/admin/mail/compose?_action=mailSend", { ...compose, ...hidden })).status).toBe(303);
    const group = hidden.key!;
    expect(group).not.toBe(unknown);
    const recipients = sql.count("select count(*) as n from outbox where group_id = ?", group);
    expect(recipients).toBeGreaterThanOrEqual(3);
    sql.run("update outbox set state = 'sent' where rowid = (select min(rowid) from outbox where group_id = ?)", group);

    const mail = await (await organizer.get("/admin/mail")).text();
    expect(mail).toContain(`<progress max="${recipients}" value="1" aria-label="Progress of “Practical details”">`);
    expect(text(mail)).toContain(`1 message handled of ${recipients}`);
    expect(text(mail)).toContain(`${recipients - 1} waiting`);

    const paused = await organizer.post(`/admin/mail/groups/${group}?_action=mailGroupPause`, { id: group });
    expect(paused.status).toBe(303);
    expect(paused.headers.get("location")).toBe(`/admin/mail/groups/${group}?paused=1`);
    const detail = text(await (await organizer.get(`/admin/mail/groups/${group}?paused=1`)).text());
    expect(detail).toContain("The group message is paused");
    expect(detail).toContain("Paused by organizer@example.org");
    expect(detail).toContain("Doors open at 8:30.");
    expect(detail).toContain("Ouverture des portes à 8 h 30.");
    expect(sql.get("select actor_email, action, subject_type, after from audit_log where action = 'mail.group_pause'")).toEqual({
      actor_email: "organizer@example.org",
      action: "mail.group_pause",
      subject_type: "mail_group",
      after: JSON.stringify({ paused: true, sent: 1, waiting: recipients - 1, failed: 0 }),
    });
    // Pausing twice is refused with its reason, and records nothing more.
    const again = await organizer.post(`/admin/mail/groups/${group}?_action=mailGroupPause`, { id: group });
    expect(again.status).toBe(409);
    expect(text(await again.text())).toContain("This group message is already paused.");
    expect(sql.count("select count(*) as n from audit_log where action = 'mail.group_pause'")).toBe(1);

    const resumed = await organizer.post(`/fr/admin/mail/groups?_action=mailGroupResume`, { id: group });
    expect(resumed.headers.get("location")).toBe("/fr/admin/mail/groups?resumed=1");
    expect(sql.count("select count(*) as n from audit_log where action = 'mail.group_resume'")).toBe(1);
    expect(sql.get("select paused_at from mail_groups where id = ?", group)).toEqual({ paused_at: null });
    // The history lists it with its counts; an unknown id is a 404.
    expect(text(await (await organizer.get("/fr/admin/mail/groups")).text())).toContain("Informations pratiques");
    expect((await organizer.get(`/admin/mail/groups/${unknown}`)).status).toBe(404);
    // Only its messages, from its page's link.
    const only = text(await (await organizer.get(`/admin/mail?group=${group}`)).text());
    expect(only).toContain("Only the messages of “Practical details”.");
    expect(only).toContain(`${recipients} messages ·`);
  });
});
