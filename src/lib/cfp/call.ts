import type { Edition } from "../config/edition.ts";
import { zonedToInstant } from "../programme/time.ts";

/**
 * When the call for papers is open. The configuration gives local times in the edition's zone; the
 * deadline is the last minute the call is open, so a deadline of "2013-03-31T23:59" closes the call
 * at midnight, Paris time. A format can have its own opening and deadline.
 */

export type CallState = "not_open" | "open" | "closed";

export interface CallStatus {
  state: CallState;
  /** First instant the call accepts proposals of this format. */
  opensAt: Date;
  /** The deadline as configured (the start of its minute). */
  deadline: Date;
  /** First instant the call is closed: one minute after the deadline. */
  closesAt: Date;
}

/** "YYYY-MM-DDTHH:MM" in `zone` as an instant. */
function localInstant(value: string, zone: string): Date {
  return zonedToInstant(value.slice(0, 10), value.slice(11, 16), zone);
}

/** The format slugs the call offers, in the configured order (none without a call). */
export function callFormats(edition: Pick<Edition, "cfp">): string[] {
  return edition.cfp?.formats.map((f) => f.format) ?? [];
}

/** Whether the call offers `format` at all. */
export function isCallFormat(edition: Pick<Edition, "cfp">, format: string): boolean {
  return callFormats(edition).includes(format);
}

/**
 * The call's state for `format` at `now`: not yet open, open, or closed. Null when the edition has
 * no call or the call does not offer this format.
 */
export function callStatus(edition: Pick<Edition, "cfp" | "timezone">, format: string, now: number = Date.now()): CallStatus | null {
  const cfp = edition.cfp;
  const own = cfp?.formats.find((f) => f.format === format);
  if (!cfp || !own) return null;
  const opensAt = localInstant(own.opens ?? cfp.opens, edition.timezone);
  const deadline = localInstant(own.deadline ?? cfp.deadline, edition.timezone);
  const closesAt = new Date(deadline.getTime() + 60_000);
  const state: CallState = now < opensAt.getTime() ? "not_open" : now < closesAt.getTime() ? "open" : "closed";
  return { state, opensAt, deadline, closesAt };
}

/** The call as a whole: open while any format is open; otherwise not yet open if one will open, else closed. */
export function overallStatus(edition: Pick<Edition, "cfp" | "timezone">, now: number = Date.now()): CallState | null {
  const states = callFormats(edition).map((f) => callStatus(edition, f, now)!.state);
  if (states.length === 0) return null;
  if (states.includes("open")) return "open";
  return states.includes("not_open") ? "not_open" : "closed";
}
