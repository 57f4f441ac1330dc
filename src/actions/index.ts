import { agenda } from "./agenda.ts";
import { auth } from "./auth.ts";
import { catalogue } from "./catalogue.ts";
import { cfp } from "./cfp.ts";
import { checkin } from "./checkin.ts";
import { mailstaff } from "./mailstaff.ts";
import { programme } from "./programme.ts";
import { registration } from "./registration.ts";
import { review } from "./review.ts";
import { webhooks } from "./webhooks.ts";

/**
 * The site's forms, one file per domain; each Action translates a form into one domain call. Each
 * works without JavaScript: the page posts to itself, renders errors next to the fields (status
 * 400, 409, 413 or 429), and redirects after success. Error messages are keys the page translates.
 * The names stay flat (`?_action=register`, `actions.decideRegistrations`): nested groups would
 * rename every form's action.
 */
export const server = {
  ...registration,
  ...auth,
  ...mailstaff,
  ...agenda,
  ...catalogue,
  ...cfp,
  ...programme,
  ...review,
  ...checkin,
  ...webhooks,
};
