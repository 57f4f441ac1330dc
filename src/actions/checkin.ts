import { ActionError, defineAction } from "astro:actions";
import { z } from "zod";
import { checkbox, id, trimmed } from "../lib/fields.ts";
import { SCAN_DIRECTIONS, type ScanDirection } from "../../db/schema/checkin.ts";
import { checkInAtDesk, type DeskOutcome, type DeskResult } from "../lib/registration/checkin.ts";
import { setEntryExitMode } from "../lib/registration/presence.ts";
import type { CheckInKey } from "../lib/registration/service.ts";
import { registrationDeps } from "../web/runtime.ts";
import { actorOf, requirePermission } from "./guard.ts";

/**
 * The check-in desk's forms (`checkin.scan`): a ticket code (scanned or typed) or a row found by
 * name. A refusal is an error key `checkin:<reason>[:<registration id>]` the page words.
 */

const ticket = trimmed(200, { blank: "required", tooLong: "checkin:not_found" });
/** The desk's label (optional): "already checked in at desk 2". */
const desk = z.preprocess((v) => (typeof v === "string" ? v.trim().slice(0, 40) : ""), z.string());
/** Which way the desk scans (decision 38): read only while entry and exit are counted. */
const direction = z.preprocess((v) => (v === "" || v === null ? undefined : v), z.enum(SCAN_DIRECTIONS, "invalid").default("entry"));

/** Checks in at the desk as the signed-in staff member; a refusal becomes an ActionError. */
function checkInAs(
  context: Parameters<typeof requirePermission>[0],
  key: CheckInKey,
  desk = "",
  way: ScanDirection = "entry",
): { id: number; already: boolean; outcome: DeskOutcome } {
  const principal = requirePermission(context, "checkin.scan");
  const result: DeskResult = checkInAtDesk(registrationDeps(), actorOf(principal), key, desk, way);
  if (!result.ok) {
    if (result.reason === "not_found") throw new ActionError({ code: "NOT_FOUND", message: "checkin:not_found" });
    throw new ActionError({ code: "CONFLICT", message: `checkin:${result.reason}:${result.attendee?.id ?? ""}` });
  }
  return { id: result.attendee.id, already: result.outcome === "already", outcome: result.outcome };
}

export const checkin = {
  checkinTicket: defineAction({
    accept: "form",
    input: z.object({ ticket, desk, direction }),
    handler: (input, context) => checkInAs(context, { ticketSecret: input.ticket }, input.desk, input.direction),
  }),

  checkinRegistration: defineAction({
    accept: "form",
    input: z.object({ id, desk, direction }),
    handler: (input, context) => checkInAs(context, { id: input.id }, input.desk, input.direction),
  }),

  /** Organizers turn the counting of entry and exit on or off (decision 38). */
  checkinEntryExit: defineAction({
    accept: "form",
    input: z.object({ entryExit: checkbox }),
    handler: (input, context) => {
      const principal = requirePermission(context, "checkin.manage");
      return setEntryExitMode(registrationDeps().db, actorOf(principal), input.entryExit);
    },
  }),
};
