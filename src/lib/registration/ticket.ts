import QRCode from "qrcode";
import { deriveSecret, hashSecret } from "../security/secrets.ts";

/**
 * A ticket is a secret derived from the registration's stored nonce and the application key; the
 * database keeps only its hash (`registrations.ticket_hash`). The QR code encodes exactly the secret,
 * so the check-in desk hashes what it scans and looks the hash up.
 */

// Medium error correction survives a creased print-out or a cracked phone screen; the margin is the
// four-module quiet zone scanners expect.
const QR_OPTIONS = { errorCorrectionLevel: "M", margin: 4 } as const;

/** The ticket secret of a registration (URL-safe, 256 bits). */
export function ticketSecret(appKey: Buffer, ticketNonce: string): string {
  return deriveSecret(appKey, "ticket", ticketNonce);
}

/** What is stored of a ticket secret: its SHA-256, hex. */
export function ticketHash(secret: string): string {
  return hashSecret(secret);
}

/** The ticket's QR code as a PNG (same bytes for the same secret). */
export async function ticketQrPng(secret: string): Promise<Buffer> {
  return QRCode.toBuffer(secret, { ...QR_OPTIONS, type: "png", width: 320 });
}

/** The ticket's QR code as an SVG document, for pages. */
export async function ticketQrSvg(secret: string): Promise<string> {
  return QRCode.toString(secret, { ...QR_OPTIONS, type: "svg" });
}
