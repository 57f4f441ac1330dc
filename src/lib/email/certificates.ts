import { and, desc, eq, isNotNull, ne } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { mailGroups, registrations } from "../../../db/schema/index.ts";
import { recordAudit } from "../audit.ts";
import { issueToken } from "../registration/service.ts";
import type { Actor } from "./admin.ts";
import { createGroup } from "./groups.ts";
import { enqueue } from "./outbox.ts";
import { WORDING, type Vars } from "./wording.ts";

/**
 * The post-event message: to everyone checked in at the forum, in their language, a link to their
 * certificate of attendance (not the PDF: the outbox sends it in batches at the provider's pace, and
 * the certificate is drawn when it is asked for). It is a group message (kind `certificate`) that
 * organizers follow, pause and resume like the others. Like an announcement, a one-time key issued
 * with the form makes the same form sent twice queue nothing the second time.
 */

/** One recipient: the newest registration of an address that was checked in. */
export interface CertificateRecipient {
  registrationId: number;
  email: string;
  name: string;
  language: "en" | "fr";
}

/** Every address with a registration checked in at least once (the newest such registration), newest first. */
export function certificateRecipients(db: Pick<Db, "select">): CertificateRecipient[] {
  const rows = db
    .select({ registrationId: registrations.id, email: registrations.email, name: registrations.name, language: registrations.language })
    .from(registrations)
    .where(and(isNotNull(registrations.checkedInAt), ne(registrations.status, "pending_email")))
    .orderBy(desc(registrations.createdAt), desc(registrations.id))
    .all();
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.email) && seen.add(r.email));
}

/** The certificate messages sent so far, newest first: when, by whom, to how many. */
export function certificateSends(db: Pick<Db, "select">): { id: string; createdAt: Date; createdBy: string; recipients: number }[] {
  return db
    .select({ id: mailGroups.id, createdAt: mailGroups.createdAt, createdBy: mailGroups.createdByEmail, recipients: mailGroups.recipients })
    .from(mailGroups)
    .where(eq(mailGroups.kind, "certificate"))
    .orderBy(desc(mailGroups.createdAt))
    .all();
}

export type CertificateQueueResult =
  { ok: true; recipients: number } | { ok: false; reason: "already_sent"; recipients: number } | { ok: false; reason: "no_recipients" };

/**
 * Queues one certificate message per recipient (each with a new private link) and the audit entry,
 * in one IMMEDIATE transaction; a key already used queues nothing.
 */
export function queueCertificates(
  deps: { db: Db; appKey: Buffer },
  actor: Actor,
  key: string,
  now: number = Date.now(),
): CertificateQueueResult {
  return deps.db.transaction(
    (tx): CertificateQueueResult => {
      const earlier = tx.select({ recipients: mailGroups.recipients }).from(mailGroups).where(eq(mailGroups.id, key)).get();
      if (earlier) return { ok: false, reason: "already_sent", recipients: earlier.recipients };
      const recipients = certificateRecipients(tx);
      if (recipients.length === 0) return { ok: false, reason: "no_recipients" };
      // The group's name in the history: the message's own subject (it takes no variable).
      const subject = (language: "en" | "fr") => WORDING[language].templates["attendance.certificate"]({} as Vars).subject;
      createGroup(
        tx,
        {
          id: key,
          kind: "certificate",
          subject: { en: subject("en"), fr: subject("fr") },
          recipients: recipients.length,
          createdBy: actor.email,
        },
        now,
      );
      for (const recipient of recipients) {
        const { nonce } = issueToken(tx, deps.appKey, recipient.registrationId, now);
        enqueue(
          tx,
          {
            template: "attendance.certificate",
            language: recipient.language,
            recipient: recipient.email,
            payload: { name: recipient.name, manageNonce: nonce },
            registrationId: recipient.registrationId,
            groupId: key,
          },
          now,
        );
      }
      recordAudit(
        tx,
        { actor, action: "mail.certificates", subjectType: "mail_group", subjectId: key, after: { recipients: recipients.length } },
        now,
      );
      return { ok: true, recipients: recipients.length };
    },
    { behavior: "immediate" },
  );
}
