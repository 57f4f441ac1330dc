import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeWords, readMailbox, readMailboxAttachment, writeMailboxMessage, type MailboxEmail } from "./mailbox.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-mailbox-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255]);
const email = (over: Partial<MailboxEmail> = {}): MailboxEmail => ({
  from: "Forum Monde plus sûr <no-reply@forum.example>",
  to: "zoe@example.org",
  subject: "Inscription confirmée\u00a0: votre billet – Forum Monde plus sûr, avec un sujet assez long pour être replié",
  text: "Bonjour Zoé,\n\nVotre billet est joint.\n",
  html: '<p lang="fr">Bonjour Zoé,</p>\n<img src="cid:ticket-qr" alt="QR">',
  replyTo: "Les organisateurs <contact@forum.example>",
  template: "registration.confirmed",
  attachments: [
    { filename: "ticket-qr.png", content: png, contentType: "image/png", contentId: "ticket-qr" },
    { filename: "forum.ics", content: Buffer.from("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), contentType: "text/calendar; charset=utf-8" },
  ],
  ...over,
});

describe("mailbox", () => {
  it("writes a MIME message that stays readable, and reads it back", async () => {
    const at = new Date("2013-07-01T08:00:00.123Z");
    const file = await writeMailboxMessage(dir, email(), "0b4c-key", at);
    expect(file).toBe("0b4c-key.eml");
    const source = readFileSync(join(dir, file), "utf8");
    // Headers are ASCII, the French subject as encoded words; the text is quoted-printable, still legible.
    expect(source.slice(0, source.indexOf("\r\n\r\n"))).toMatch(/^[\x20-\x7e\r\n\t]*$/);
    expect(source).toMatch(/Subject: =\?UTF-8\?[BQ]\?/);
    expect(source).toContain("Date: Mon, 01 Jul 2013 08:00:00 +0000\r\n");
    expect(source).toContain("Message-ID: <0b4c-key@forum.example>\r\n");
    expect(source).toContain("Reply-To: Les organisateurs <contact@forum.example>\r\n");
    expect(source).toContain("X-Forum-Template: registration.confirmed\r\n");
    expect(source).toContain("Content-Transfer-Encoding: quoted-printable\r\n\r\nBonjour Zo=C3=A9,\r\n\r\nVotre billet est joint.\r\n");
    expect(source).toContain("Content-ID: <ticket-qr>");
    // Files attached around the alternatives; the QR image related to the HTML that shows it.
    expect(source).toMatch(
      /Content-Type: multipart\/mixed;[^]*Content-Type: multipart\/alternative;[^]*Content-Type: text\/plain;[^]*Content-Type: multipart\/related;[^]*Content-Type: text\/html;[^]*Content-ID: <ticket-qr>/,
    );

    expect(await readMailbox(dir)).toEqual([
      {
        id: "0b4c-key",
        file,
        to: "zoe@example.org",
        from: "Forum Monde plus sûr <no-reply@forum.example>",
        replyTo: "Les organisateurs <contact@forum.example>",
        subject: email().subject,
        template: "registration.confirmed",
        date: new Date("2013-07-01T08:00:00.000Z"),
        text: email().text,
        html: email().html,
        attachments: [
          { filename: "ticket-qr.png", contentType: "image/png", size: png.length, contentId: "ticket-qr" },
          { filename: "forum.ics", contentType: "text/calendar", size: 32 },
        ],
      },
    ]);
    expect(await readMailboxAttachment(dir, file, "ticket-qr.png")).toEqual({ contentType: "image/png", content: png });
    // The calendar comes back byte for byte, CRLF line ends included (RFC 5545).
    expect(await readMailboxAttachment(dir, file, "forum.ics")).toEqual({
      contentType: "text/calendar",
      content: email().attachments[1]!.content,
    });
    expect(await readMailboxAttachment(dir, "../etc/passwd.eml", "x")).toBeUndefined();
  });

  it("writes one file per key however often it is sent, and lists the newest first", async () => {
    const first = await writeMailboxMessage(dir, email({ subject: "One" }), "key-1", new Date("2013-07-01T08:00:00Z"));
    expect(await writeMailboxMessage(dir, email({ subject: "One again" }), "key-1", new Date("2013-07-01T09:00:00Z"))).toBe(first);
    await writeMailboxMessage(dir, email({ subject: "Two" }), "key-2", new Date("2013-07-01T10:00:00Z"));
    expect(readdirSync(dir).sort()).toEqual(["key-1.eml", "key-2.eml"]);
    expect((await readMailbox(dir)).map((m) => m.subject)).toEqual(["Two", "One"]);
  });

  it("keeps every line of a long part within 998 octets, and reads it back", async () => {
    const long = "é".repeat(700);
    await writeMailboxMessage(dir, email({ html: `<p>${long}</p>`, attachments: [] }), "key-qp");
    const [message] = await readMailbox(dir);
    expect(readFileSync(join(dir, message!.file), "utf8")).toContain("Content-Transfer-Encoding: quoted-printable");
    expect(
      readFileSync(join(dir, message!.file), "utf8")
        .split("\r\n")
        .every((line) => line.length <= 998),
    ).toBe(true);
    expect(message!.html).toBe(`<p>${long}</p>`);
    expect(message!.text).toBe(email().text);
    expect(message!.attachments).toEqual([]);
  });

  it("quotes a sender name only when it must, and reads it back plain", async () => {
    const file = await writeMailboxMessage(
      dir,
      email({ from: "Forum, Lyon <no-reply@forum.example>", to: "Ada <ada@example.org>" }),
      "key-from",
    );
    const source = readFileSync(join(dir, file), "utf8");
    expect(source).toContain('From: "Forum, Lyon" <no-reply@forum.example>\r\n');
    expect(source).toContain("To: Ada <ada@example.org>\r\n");
    expect((await readMailbox(dir))[0]).toMatchObject({ from: "Forum, Lyon <no-reply@forum.example>", to: "Ada <ada@example.org>" });
  });

  it("refuses a key that is not safe in a file name", async () => {
    await expect(writeMailboxMessage(dir, email(), "../x")).rejects.toThrow("Unsafe mailbox message key");
  });

  it("reads what another tool wrote (LF line ends, Q encoding, no template), skips the unreadable, and is empty when missing", async () => {
    writeFileSync(
      join(dir, "2013-07-01T07-00-00-000Z-other.eml"),
      [
        "From: someone@example.org",
        "To: ada@example.org",
        "Subject: =?utf-8?Q?Caf=C3=A9_cr=C3=A8me?=",
        "  =?utf-8?B?IQ==?=",
        "Date: Mon, 01 Jul 2013 07:00:00 +0000",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Bonjour =C3=A0 tous=",
        " !",
      ].join("\n"),
    );
    writeFileSync(join(dir, ".tmp-partial.tmp"), "half");
    const [message] = await readMailbox(dir);
    expect(message).toMatchObject({
      id: "2013-07-01T07-00-00-000Z-other",
      subject: "Café crème!",
      template: "",
      text: "Bonjour à tous !",
      html: "",
    });
    expect(await readMailbox(join(dir, "missing"))).toEqual([]);
    expect(decodeWords("=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?= x")).toBe("éé x");
  });
});
