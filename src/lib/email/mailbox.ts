import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RenderedEmail } from "./templates.ts";

/**
 * The local mailbox: without a provider key, every e-mail becomes one file
 * `<dir>/<time>-<message id>.eml`, a real MIME message (any mail client opens it) whose text and HTML
 * stay readable in an editor (UTF-8, 8bit). `readMailbox` parses them back for the development page
 * and for tests that follow the links.
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

const CRLF = "\r\n";
// RFC 5322 caps a line at 998 octets; a part with a longer line goes quoted-printable instead of 8bit.
const MAX_LINE = 998;

/** File name of a message: its key (the outbox id), so that "already written?" is one stat, not a directory scan. */
function fileName(key: string): string {
  return `${key}.eml`;
}

/**
 * Writes `email` under `key`, atomically and at most once: the message goes to a temporary file,
 * then is hard-linked to its final name, which fails when that name exists (another writer, or an
 * earlier attempt of the same message, won). Returns the file name.
 */
export function writeMailboxMessage(dir: string, email: MailboxEmail, key: string, now: Date = new Date()): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(key)) throw new Error(`Unsafe mailbox message key: ${JSON.stringify(key)}`);
  mkdirSync(dir, { recursive: true });
  const name = fileName(key);
  const target = join(dir, name);
  if (existsSync(target)) return name;
  const temp = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  writeFileSync(temp, formatMessage(email, key, now));
  try {
    linkSync(temp, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return name;
}

/** The MIME source of `email`. */
export function formatMessage(email: MailboxEmail, key: string, date: Date): string {
  const boundary = () => `=_forum_${randomBytes(12).toString("hex")}`;
  const inline = email.attachments.filter((a) => a.contentId);
  const attached = email.attachments.filter((a) => !a.contentId);
  const alternative = multipart("alternative", boundary(), [textPart("text/plain", email.text), textPart("text/html", email.html)]);
  const related = inline.length ? multipart("related", boundary(), [alternative, ...inline.map(attachmentPart)]) : alternative;
  const body = attached.length ? multipart("mixed", boundary(), [related, ...attached.map(attachmentPart)]) : related;
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(email.from)?.[1] ?? "localhost";
  const headers = [
    `From: ${encodeAddress(email.from)}`,
    `To: ${encodeAddress(email.to)}`,
    ...(email.replyTo ? [`Reply-To: ${encodeAddress(email.replyTo)}`] : []),
    `Subject: ${encodeWords(email.subject)}`,
    `Date: ${date.toUTCString().replace(/GMT$/, "+0000")}`,
    `Message-ID: <${key}@${domain}>`,
    `X-Forum-Message-Id: ${key}`,
    ...(email.template ? [`X-Forum-Template: ${oneLine(email.template)}`] : []),
    "MIME-Version: 1.0",
  ];
  return headers.join(CRLF) + CRLF + body;
}

/** A MIME part: its headers, a blank line, its body. The CRLF before the next delimiter belongs to the delimiter. */
type Part = string;

function multipart(subtype: string, boundary: string, parts: Part[]): Part {
  return (
    `Content-Type: multipart/${subtype}; boundary="${boundary}"${CRLF}${CRLF}` +
    parts.map((part) => `--${boundary}${CRLF}${part}`).join(CRLF) +
    `${CRLF}--${boundary}--${CRLF}`
  );
}

function textPart(type: string, text: string): Part {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.every((line) => Buffer.byteLength(line) <= MAX_LINE)) {
    return `Content-Type: ${type}; charset=utf-8${CRLF}Content-Transfer-Encoding: 8bit${CRLF}${CRLF}${lines.join(CRLF)}`;
  }
  return `Content-Type: ${type}; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${quotedPrintable(lines)}`;
}

function attachmentPart(a: RenderedEmail["attachments"][number]): Part {
  const name = quoteParam(a.filename);
  const headers = [
    `Content-Type: ${a.contentType}; name=${name}`,
    "Content-Transfer-Encoding: base64",
    `Content-Disposition: ${a.contentId ? "inline" : "attachment"}; filename=${name}`,
    ...(a.contentId ? [`Content-ID: <${oneLine(a.contentId)}>`] : []),
  ];
  const base64 = a.content.toString("base64").replace(/.{1,76}/g, (line) => line + CRLF);
  return headers.join(CRLF) + CRLF + CRLF + base64;
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}

function quoteParam(value: string): string {
  const ascii = /^[\x20-\x7e]*$/.test(value) ? value : encodeWords(value);
  return `"${ascii.replace(/[\\"]/g, "\\$&")}"`;
}

/** A header value as RFC 2047 encoded words when it is not plain ASCII, folded between words. */
function encodeWords(value: string): string {
  const text = oneLine(value);
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  // Whole characters per word, at most 45 bytes each: a 60-character base64 payload fits a 76-character line.
  const words: string[] = [];
  let chunk = "";
  for (const char of text) {
    if (Buffer.byteLength(chunk + char) > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString("base64")}?=`).join(`${CRLF} `);
}

/** `Name <address>` with the name encoded when needed; a bare address as it is. */
function encodeAddress(value: string): string {
  const match = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(oneLine(value));
  if (!match) return oneLine(value).trim();
  const [, name = "", address] = match;
  if (!name) return `<${address}>`;
  const bare = name.replace(/^"(.*)"$/, "$1");
  const display = !/^[\x20-\x7e]*$/.test(bare)
    ? encodeWords(bare)
    : /[()<>[\]:;@\\,."]/.test(bare)
      ? `"${bare.replace(/[\\"]/g, "\\$&")}"`
      : bare;
  return `${display} <${address}>`;
}

function quotedPrintable(lines: string[]): string {
  return lines
    .map((line) => {
      const bytes = Buffer.from(line);
      let out = "";
      let width = 0;
      for (let i = 0; i < bytes.length; i++) {
        const byte = bytes[i]!;
        const last = i === bytes.length - 1;
        const plain = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
        const token = plain ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
        if (width + token.length > 75) {
          out += `=${CRLF}`;
          width = 0;
        }
        out += token;
        width += token.length;
      }
      return out;
    })
    .join(CRLF);
}

// --- Reading ---------------------------------------------------------------------------------

/** The messages in `dir`, newest first; [] when the folder does not exist. Unreadable files are skipped. */
export function readMailbox(dir: string): MailboxMessage[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".eml") && !f.startsWith("."));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const messages: MailboxMessage[] = [];
  for (const file of files) {
    const message = readMailboxMessage(dir, file);
    if (message) messages.push(message);
  }
  return messages.sort((a, b) => b.date.getTime() - a.date.getTime() || b.file.localeCompare(a.file));
}

/** One message of the mailbox by file name, or undefined when it is missing or unreadable. */
export function readMailboxMessage(dir: string, file: string): MailboxMessage | undefined {
  if (file.includes("/") || file.includes("\\") || !file.endsWith(".eml")) return undefined;
  try {
    const path = join(dir, file);
    const source = readFileSync(path);
    return toMessage(file, parseMime(source), statSync(path).mtime);
  } catch {
    return undefined;
  }
}

/** The content of an attachment of a mailbox message, for downloads from the development page. */
export function readMailboxAttachment(dir: string, file: string, filename: string): { contentType: string; content: Buffer } | undefined {
  if (file.includes("/") || file.includes("\\") || !file.endsWith(".eml")) return undefined;
  try {
    const leaf = leaves(parseMime(readFileSync(join(dir, file)))).find((p) => p.filename === filename);
    return leaf && { contentType: leaf.contentType, content: leaf.body };
  } catch {
    return undefined;
  }
}

interface MimeNode {
  headers: Map<string, string>;
  contentType: string;
  params: Map<string, string>;
  filename: string;
  body: Buffer;
  children: MimeNode[];
}

function toMessage(file: string, root: MimeNode, mtime: Date): MailboxMessage {
  const header = (name: string) => decodeWords(root.headers.get(name) ?? "");
  const parts = leaves(root);
  const textOf = (type: string) => {
    const part = parts.find(
      (p) => p.contentType === type && !p.filename && !/attachment/i.test(p.headers.get("content-disposition") ?? ""),
    );
    return part ? decodeText(part) : "";
  };
  const date = new Date(header("date"));
  const key = header("x-forum-message-id").trim();
  return {
    id: key || file.replace(/\.eml$/, ""),
    file,
    to: unquoteName(header("to").trim()),
    from: unquoteName(header("from").trim()),
    replyTo: unquoteName(header("reply-to").trim()),
    subject: header("subject").trim(),
    template: header("x-forum-template").trim(),
    date: Number.isNaN(date.getTime()) ? mtime : date,
    text: textOf("text/plain"),
    html: textOf("text/html"),
    attachments: parts
      .filter((p) => p.filename)
      .map((p) => {
        const contentId = p.headers.get("content-id")?.trim().replace(/^<|>$/g, "");
        return { filename: p.filename, contentType: p.contentType, size: p.body.length, ...(contentId ? { contentId } : {}) };
      }),
  };
}

/** `"Name, Inc." <a@b>` as `Name, Inc. <a@b>`, for display. */
function unquoteName(address: string): string {
  return address.replace(/^"((?:[^"\\]|\\.)*)"(\s*<[^<>]*>)$/, (_, name: string, rest: string) => name.replace(/\\(.)/g, "$1") + rest);
}

function leaves(node: MimeNode): MimeNode[] {
  return node.children.length ? node.children.flatMap(leaves) : [node];
}

/** Parses a MIME entity (CRLF or LF line ends), decoding each leaf's transfer encoding. */
function parseMime(source: Buffer): MimeNode {
  const raw = source.toString("latin1"); // byte-preserving; text is decoded as UTF-8 later
  const split = /\r?\n\r?\n/.exec(raw);
  const head = split ? raw.slice(0, split.index) : raw;
  const rest = split ? raw.slice(split.index + split[0].length) : "";
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, Buffer.from(line.slice(colon + 1).trim(), "latin1").toString("utf8"));
    }
  }
  const [type = "text/plain", ...paramText] = (headers.get("content-type") ?? "text/plain").split(";");
  const params = parseParams(paramText.join(";"));
  const disposition = parseParams((headers.get("content-disposition") ?? "").split(";").slice(1).join(";"));
  const node: MimeNode = {
    headers,
    contentType: type.trim().toLowerCase(),
    params,
    filename: decodeWords(disposition.get("filename") ?? params.get("name") ?? ""),
    body: Buffer.alloc(0),
    children: [],
  };
  const boundary = params.get("boundary");
  if (node.contentType.startsWith("multipart/") && boundary) {
    const b = escapeRegExp(boundary);
    // What follows the closing delimiter is the epilogue; what precedes the first one, the preamble.
    const close = new RegExp(`(?:^|\\r?\\n)--${b}--`).exec(rest);
    const pieces = (close ? rest.slice(0, close.index) : rest).split(new RegExp(`(?:^|\\r?\\n)--${b}[ \\t]*(?:\\r?\\n|$)`));
    for (const piece of pieces.slice(1)) node.children.push(parseMime(Buffer.from(piece, "latin1")));
    return node;
  }
  const encoding = (headers.get("content-transfer-encoding") ?? "").trim().toLowerCase();
  const bytes = Buffer.from(rest, "latin1");
  node.body =
    encoding === "base64"
      ? Buffer.from(rest.replace(/\s+/g, ""), "base64")
      : encoding === "quoted-printable"
        ? decodeQuotedPrintable(rest)
        : bytes;
  return node;
}

function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const match of text.matchAll(/([!#$%&'*+.^`|~\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g)) {
    const value = match[2]!.startsWith('"') ? match[2]!.slice(1, -1).replace(/\\(.)/g, "$1") : match[2]!;
    params.set(match[1]!.toLowerCase(), value);
  }
  return params;
}

function decodeQuotedPrintable(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft[i] === "=" ? soft.slice(i + 1, i + 3) : "";
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeText(part: MimeNode): string {
  const charset = part.params.get("charset") ?? "utf-8";
  let text: string;
  try {
    text = new TextDecoder(charset).decode(part.body);
  } catch {
    text = part.body.toString("utf8");
  }
  // Back to the line ends the message was rendered with.
  return text.replace(/\r\n/g, "\n");
}

/** Decodes RFC 2047 encoded words (B and Q), joining adjacent ones as the RFC says. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)(\s+(?==\?))/g, "$1")
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (whole, charset: string, kind: string, data: string) => {
      try {
        const bytes = kind.toUpperCase() === "B" ? Buffer.from(data, "base64") : decodeQuotedPrintable(data.replace(/_/g, " "));
        return new TextDecoder(charset).decode(bytes);
      } catch {
        return whole;
      }
    });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
