import { t, type Locale } from "../../i18n/index.ts";
import type { GroupItem } from "../../lib/email/groups.ts";

/** What a group message is called on the organizers' pages: an announcement's subject, a release's number. */
export function groupName(group: Pick<GroupItem, "kind" | "subject" | "release">, locale: Locale): string {
  const g = t(locale).mailstaff.groups;
  if (group.kind === "release") return g.kinds.release(group.release ?? 0);
  if (group.kind === "certificate") return g.kinds.certificate;
  return group.subject[locale] || g.kinds.announcement;
}
