import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { auditLog, mailGroups, registrations } from "../../../db/schema/index.ts";
import { ok, registrationWorld } from "../../../tests/fixtures/registration.ts";
import { certificateRecipients, queueCertificates } from "../email/certificates.ts";
import { attendanceDays, certificateDetails, certificatePdf } from "./certificate.ts";
import { scanAtDesk } from "./desk.ts";
import { cancel, ticketSecretOf } from "./service.ts";

const PDFTOTEXT = existsSync("/usr/bin/pdftotext") ? "/usr/bin/pdftotext" : undefined;
if (!PDFTOTEXT && process.env.CI) throw new Error("pdftotext is missing (apt-get install -y poppler-utils): .ci/run installs it");
const pdfText = (pdf: Buffer) =>
  spawnSync(PDFTOTEXT!, ["-enc", "UTF-8", "-", "-"], { input: pdf, encoding: "utf8" }).stdout.replace(/\s+/g, " ");

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());

const staff = { id: 7, email: "desk@example.org" };
let n = 0;
/** A scan of `id`'s ticket read (and received) at `at`. */
function scanAt(id: number, at: string) {
  world.clock.now = Date.parse(at);
  const row = world.db.select().from(registrations).where(eq(registrations.id, id)).get()!;
  return scanAtDesk(world.deps, staff, {
    nonce: `cert-nonce-${String(++n).padStart(8, "0")}`,
    code: ticketSecretOf(world.deps.appKey, row),
    at: world.clock.now,
    desk: "1",
  });
}

describe("attendance days", () => {
  it("are the forum days a registration was seen at a desk, in the forum's time zone, each once", () => {
    world = registrationWorld();
    const id = world.register({ name: "Ada Days", category: "industry" });
    expect(attendanceDays(world.db, id, world.edition.timezone)).toEqual([]);
    expect(scanAt(id, "2013-07-02T07:10:00Z").outcome).toBe("admitted");
    expect(scanAt(id, "2013-07-02T12:00:00Z").outcome).toBe("already");
    // 00:20 on 3 July in Lyon (22:20 UTC on the 2nd): the second day.
    expect(scanAt(id, "2013-07-02T22:20:00Z").outcome).toBe("already");
    expect(attendanceDays(world.db, id, world.edition.timezone)).toEqual(["2013-07-02", "2013-07-03"]);
    // A refused scan is no attendance.
    const other = world.register({ name: "Bo Refused", category: "industry" });
    ok(cancel(world.deps, other, "attendee"));
    expect(scanAt(other, "2013-07-02T08:00:00Z").outcome).toBe("refused");
    expect(attendanceDays(world.db, other, world.edition.timezone)).toEqual([]);
  });
});

describe.skipIf(!PDFTOTEXT)("the certificate PDF", () => {
  it("names the attendee, the forum, its venue and dates, and the days attended, in the attendee's language", async () => {
    world = registrationWorld();
    const registration = { name: "Анна Петрова", organisation: "Ministère de l’Intérieur" };
    const en = pdfText(await certificatePdf(certificateDetails(world.edition, registration, ["2013-07-03"], "en")));
    for (const part of [
      "CERTIFICATE OF ATTENDANCE",
      "Анна Петрова",
      "Ministère de l’Intérieur",
      world.edition.name.en,
      world.edition.venue.name,
      "Day attended",
      "Wednesday, 3 July 2013",
    ])
      expect(en).toContain(part);
    expect(en).not.toContain("2 July 2013,");
    const fr = pdfText(await certificatePdf(certificateDetails(world.edition, registration, ["2013-07-02", "2013-07-03"], "fr")));
    for (const part of [
      "ATTESTATION DE PRÉSENCE",
      "Анна Петрова",
      world.edition.name.fr,
      "Journées de présence",
      "mardi 2 juillet 2013",
      "mercredi 3 juillet 2013",
      "Fait à Lyon",
    ])
      expect(fr).toContain(part);
    // A name the font cannot draw as typed is printed in its transliteration, as on the ticket.
    const cjk = pdfText(
      await certificatePdf(certificateDetails(world.edition, { name: "王小明", organisation: "" }, ["2013-07-02"], "en")),
    );
    expect(cjk).toContain("Wang Xiao Ming");
    // The same certificate twice is the same file.
    const again = () => certificatePdf(certificateDetails(world.edition, registration, ["2013-07-03"], "en"));
    expect((await again()).equals(await again())).toBe(true);
  });
});

describe("the post-event message", () => {
  it("goes once per key to each address checked in, in its language, with a link of its own; audited", () => {
    world = registrationWorld();
    const ada = world.register({ name: "Ada In", category: "industry", language: "fr" });
    const bo = world.register({ name: "Bo In", category: "industry" });
    world.register({ name: "Cy Never", category: "industry" });
    scanAt(ada, "2013-07-02T07:00:00Z");
    scanAt(bo, "2013-07-03T07:00:00Z");
    expect(
      certificateRecipients(world.db)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["Ada In", "Bo In"]);
    const key = "0b7c3f4e-8d2a-4c1b-9e5f-1a2b3c4d5e6f";
    const before = world.mail().length;
    expect(queueCertificates(world.deps, staff, key)).toEqual({ ok: true, recipients: 2 });
    const sent = world.mail().slice(before);
    expect(sent.map((m) => [m.template, m.language, m.groupId]).sort()).toEqual([
      ["attendance.certificate", "en", key],
      ["attendance.certificate", "fr", key],
    ]);
    // Each message carries a new private link of its own registration.
    for (const message of sent) expect(message.payload.manageNonce).toEqual(expect.any(String));
    expect(new Set(sent.map((m) => m.payload.manageNonce)).size).toBe(2);
    expect(world.db.select().from(mailGroups).where(eq(mailGroups.id, key)).get()).toMatchObject({ kind: "certificate", recipients: 2 });
    // The same form sent again queues nothing.
    expect(queueCertificates(world.deps, staff, key)).toEqual({ ok: false, reason: "already_sent", recipients: 2 });
    expect(world.mail().length).toBe(before + 2);
    expect(world.db.select().from(auditLog).where(eq(auditLog.action, "mail.certificates")).all()).toMatchObject([
      { actorEmail: staff.email, subjectId: key, after: { recipients: 2 } },
    ]);
  });

  it("is refused when nobody was checked in", () => {
    world = registrationWorld();
    world.register({ name: "Cy Never", category: "industry" });
    expect(queueCertificates(world.deps, staff, "1b7c3f4e-8d2a-4c1b-9e5f-1a2b3c4d5e6f")).toEqual({ ok: false, reason: "no_recipients" });
    expect(world.db.select().from(mailGroups).all()).toEqual([]);
  });
});
