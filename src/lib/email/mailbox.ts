import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import MailComposer from "nodemailer/lib/mail-composer";
import PostalMime, { decodeWords as decodeEncodedWords, type Address, type Attachment, type Email } from "postal-mime";
import type { RenderedEmail } from "./templates.ts";

/**
 * The local mailbox: without a provider key, every e-mail becomes one file
 * `<dir>/<message id>.eml`, a real MIME message (any mail client opens it), written by nodemailer's
 * composer. `readMailbox` parses them back with postal-mime, for the development page and for tests
 * that follow the links.
 */

/** An e-mail as the mailbox transport writes it. */
export type MailboxEmail = RenderedEmail & { to: string; from: string; replyTo?: string; template?: string };

/** One message read back from the mailbox. */
export interface MailboxMessage {
  /** The outbox id (X-Forum-Message-Id), else the file name. */
  id: string;
  /** File name inside the mailbox directory. */
  file: string;
  to: string;
  from: string;
  /** Reply-To, "" when absent. */
  replyTo: string;
  subject: string;
  /** X-Forum-Template, "" when absent. */
  template: string;
  date: Date;
  text: string;
  html: string;
  attachments: { filename: string; contentType: string; size: number; contentId?: string }[];
}

/** File name of a message: its key (the outbox id), so that "already written?" is one stat, not a directory scan. */
function fileName(key: string): string {
  return `${key}.eml`;
}

/**
 * Writes `email` under `key`, atomically and at most once: the message goes to a temporary file,
 * then is hard-linked to its final name, which fails when that name exists (another writer, or an
 * earlier attempt of the same message, won). Returns the file name.
 */
export async function writeMailboxMessage(dir: string, email: MailboxEmail, key: string, now: Date = new Date()): Promise<string> {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(key)) throw new Error(`Unsafe mailbox message key: ${JSON.stringify(key)}`);
  mkdirSync(dir, { recursive: true });
  const name = fileName(key);
  const target = join(dir, name);
  if (existsSync(target)) return name;
  const temp = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, await formatMessage(email, key, now));
    linkSync(temp, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return name;
}

/** The MIME source of `email`: text and HTML as alternatives, inline images related, files attached. */
export function formatMessage(email: MailboxEmail, key: string, date: Date): Promise<Buffer> {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(email.from)?.[1] ?? "localhost";
  return new MailComposer({
    from: email.from,
    to: email.to,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    subject: email.subject,
    date,
    messageId: `<${key}@${domain}>`,
    headers: { "X-Forum-Message-Id": key, ...(email.template ? { "X-Forum-Template": email.template } : {}) },
    // CRLF as RFC 5322 wants (the composer would keep bare LFs); quoted-printable rather than base64,
    // so that the file stays legible in an editor.
    textEncoding: "quoted-printable",
    text: crlf(email.text),
    html: crlf(email.html),
    attachments: email.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      ...(a.contentId ? { cid: a.contentId, contentDisposition: "inline" as const } : {}),
    })),
  })
    .compile()
    .build();
}

function crlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

// --- Reading ---------------------------------------------------------------------------------

/** The messages in `dir`, newest first; [] when the folder does not exist. Unreadable files are skipped. */
export async function readMailbox(dir: string): Promise<MailboxMessage[]> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".eml") && !f.startsWith("."));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const messages = (await Promise.all(files.map((file) => readMailboxMessage(dir, file)))).filter((m) => m !== undefined);
  return messages.sort((a, b) => b.date.getTime() - a.date.getTime() || b.file.localeCompare(a.file));
}

/** The path of a message of the mailbox, or undefined for a name that is not one. */
function pathOf(dir: string, file: string): string | undefined {
  return file.includes("/") || file.includes("\\") || !file.endsWith(".eml") ? undefined : join(dir, file);
}

/** One message of the mailbox by file name, or undefined when it is missing or unreadable. */
export async function readMailboxMessage(dir: string, file: string): Promise<MailboxMessage | undefined> {
  const path = pathOf(dir, file);
  if (!path) return undefined;
  try {
    const [source, { mtime }] = await Promise.all([readFile(path), stat(path)]);
    return toMessage(file, await PostalMime.parse(source), mtime);
  } catch {
    return undefined;
  }
}

/** The content of an attachment of a mailbox message, for downloads from the development page. */
export async function readMailboxAttachment(
  dir: string,
  file: string,
  filename: string,
): Promise<{ contentType: string; content: Buffer } | undefined> {
  const path = pathOf(dir, file);
  if (!path) return undefined;
  try {
    const found = (await PostalMime.parse(await readFile(path))).attachments.find((a) => a.filename === filename);
    return found && { contentType: found.mimeType, content: contentOf(found) };
  } catch {
    return undefined;
  }
}

function toMessage(file: string, email: Email, mtime: Date): MailboxMessage {
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value.trim() ?? "";
  const date = new Date(email.date ?? "");
  return {
    id: header("x-forum-message-id") || file.replace(/\.eml$/, ""),
    file,
    to: addresses(email.to),
    from: addresses(email.from ? [email.from] : undefined),
    replyTo: addresses(email.replyTo),
    subject: (email.subject ?? "").trim(),
    template: header("x-forum-template"),
    date: Number.isNaN(date.getTime()) ? mtime : date,
    text: asRendered(email.text),
    html: asRendered(email.html),
    attachments: email.attachments.map((a) => {
      const contentId = a.contentId?.replace(/^<|>$/g, "");
      return { filename: a.filename ?? "", contentType: a.mimeType, size: contentOf(a).length, ...(contentId ? { contentId } : {}) };
    }),
  };
}

/**
 * The bytes of an attachment. postal-mime hands a calendar back with LF line ends; iCalendar's are
 * CRLF (RFC 5545), so they are put back and the file is the one that was attached.
 */
function contentOf(attachment: Attachment): Buffer {
  const { content, mimeType } = attachment;
  const bytes = typeof content === "string" ? Buffer.from(content) : Buffer.from(content as ArrayBuffer);
  if (mimeType !== "text/calendar" && mimeType !== "application/ics") return bytes;
  return Buffer.from(bytes.toString("utf8").replace(/\r?\n/g, "\r\n"));
}

/**
 * A text part as it was rendered: postal-mime gives LF line ends and, for a 7bit or quoted-printable
 * part (every part this mailbox writes), ends the last line with one LF more than the part held.
 */
function asRendered(text: string | undefined): string {
  return (text ?? "").replace(/\r\n/g, "\n").replace(/\n$/, "");
}

/** Addresses for display: `Name, Inc. <a@b>`, a bare address as it is. */
function addresses(list: Address[] | undefined): string {
  return (list ?? [])
    .flatMap((a) => (a.group ? a.group : [a]))
    .map((a) => (a.name ? `${a.name} <${a.address}>` : a.address))
    .join(", ");
}

/** Decodes RFC 2047 encoded words (B and Q), joining adjacent ones as the RFC says. */
export const decodeWords: (value: string) => string = decodeEncodedWords;
