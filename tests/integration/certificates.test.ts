// The certificate of attendance over HTTP: offered on the manage page once checked in (a clear
// message before), the PDF for the registration's own link only, and the organizers' post-event
// message queued once through the outbox, with a link to each certificate.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forumDay } from "../../src/lib/registration/desk.ts";
import { formatDay } from "../../src/i18n/format.ts";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";
import { deriveSecret } from "../../src/lib/security/secrets.ts";
import { serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
let desk: Client;
let organizer: Client;
beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  desk = await who.staff("desk@example.org", ["checkin"]);
  organizer = await who.staff("organizer@example.org", ["organizer"]);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

const sql = {
  get: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T,
  all: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).all(...params) as T[],
};
function manageTokenOf(email: string): string {
  const data = serverDb(server);
  try {
    return data.linkTokenOf(email);
  } finally {
    data.close();
  }
}
const pdfText = (pdf: Buffer) =>
  spawnSync("pdftotext", ["-enc", "UTF-8", "-", "-"], { input: pdf, encoding: "utf8" }).stdout.replace(/\s+/g, " ");

describe("the certificate of attendance", () => {
  it("is offered once checked in, in the attendee's language, for their own link only", async () => {
    const id = await who.register("attended@example.org", "industry", { overrides: { name: "Ada Attended", language: "fr" } });
    const token = manageTokenOf("attended@example.org");
    // Before the check-in: a clear message, and no PDF.
    const before = await (await new Client(server).get(`/fr/register/manage/${token}`)).text();
    expect(before).toContain("Votre attestation de présence sera disponible ici une fois votre arrivée enregistrée");
    expect(before).not.toContain("certificate.pdf");
    const none = await new Client(server).get(`/register/manage/${token}/certificate.pdf`);
    expect(none.status).toBe(404);
    expect(await none.text()).toContain("Pas d’attestation de présence");

    const { ticketNonce } = sql.get<{ ticketNonce: string }>("select ticket_nonce as ticketNonce from registrations where id = ?", id);
    expect(
      (await desk.post("/admin/checkin?_action=checkinTicket", { ticket: ticketSecretOf(accounts.appKey, { ticketNonce }) })).status,
    ).toBe(303);
    const today = forumDay(Date.now(), "Europe/Paris");
    const page = await (await new Client(server).get(`/fr/register/manage/${token}`)).text();
    expect(page).toContain(`href="/register/manage/${token}/certificate.pdf?lang=fr"`);
    expect(page).toContain(formatDay(today, "fr"));
    const pdf = await new Client(server).get(`/register/manage/${token}/certificate.pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("cache-control")).toContain("no-store");
    const text = pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain("ATTESTATION DE PRÉSENCE");
    expect(text).toContain("Ada Attended");
    expect(text).toContain(formatDay(today, "fr"));
    const english = pdfText(
      Buffer.from(await (await new Client(server).get(`/register/manage/${token}/certificate.pdf?lang=en`)).arrayBuffer()),
    );
    expect(english).toContain("CERTIFICATE OF ATTENDANCE");
    // Any other token: nothing.
    expect((await new Client(server).get(`/register/manage/${"x".repeat(43)}/certificate.pdf`)).status).toBe(404);
  });

  it("is sent by organizers after the forum to everyone checked in, once per form, with a link to each certificate", async () => {
    await who.register("absent@example.org", "industry", { overrides: { name: "Al Absent" } });
    const form = await organizer.get("/admin/mail/certificates");
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain("1 attendee checked in: 0 in English, 1 in French.");
    // The preview shows the message without anyone's link.
    expect(html).toContain("/register/manage/PRIVATE/certificate.pdf?lang=fr");
    const key = /name="key" value="([0-9a-f-]{36})"/.exec(html)![1];
    const outbox = () =>
      sql.all<{ recipient: string; payload: string; language: string }>(
        "select recipient, payload, language from outbox where template = 'attendance.certificate'",
      );
    const sent = await organizer.post("/admin/mail/certificates?_action=mailCertificates", { key });
    expect(sent.status).toBe(303);
    expect(sent.headers.get("location")).toBe("/admin/mail?queued=1");
    const rows = outbox();
    expect(rows.map((r) => [r.recipient, r.language])).toEqual([["attended@example.org", "fr"]]);
    // Its link opens that registration's certificate.
    const token = deriveSecret(accounts.appKey, "manage", JSON.parse(rows[0].payload).manageNonce);
    expect((await new Client(server).get(`/register/manage/${token}/certificate.pdf`)).status).toBe(200);
    // The same form again: refused, nothing queued twice.
    const again = await organizer.post("/admin/mail/certificates?_action=mailCertificates", { key });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already queued for 1 recipient");
    expect(outbox()).toHaveLength(1);
    const fr = await (await organizer.get("/fr/admin/mail/certificates")).text();
    expect(fr).toContain("Déjà envoyé");
    expect(sql.get<{ n: number }>("select count(*) as n from audit_log where action = 'mail.certificates'").n).toBe(1);
    // Check-in staff may not send it.
    expect((await desk.get("/admin/mail/certificates")).status).toBe(403);
    expect(
      (await desk.post("/admin/mail/certificates?_action=mailCertificates", { key: "3b7c3f4e-8d2a-4c1b-9e5f-1a2b3c4d5e6f" })).status,
    ).toBe(403);
    expect(outbox()).toHaveLength(1);
  });
});
