import { ActionError, defineAction, type ActionAPIContext } from "astro:actions";
import { z } from "zod";
import { trimmed } from "../lib/fields.ts";
import { feedTokenOf, resetFeedToken, setStar } from "../lib/agenda/agenda.ts";
import { currentProgramme, getAppKey, getDb } from "../web/runtime.ts";

/**
 * The personal agenda's forms: star or un-star a session, issue a new private calendar address.
 * Both need a signed-in person (UNAUTHORIZED otherwise: the page sends them to sign in). Error
 * messages are keys the pages translate (`agenda:...`).
 */

/** The signed-in account of the request, or UNAUTHORIZED. */
function accountOf(context: ActionAPIContext) {
  const principal = context.locals.principal;
  if (!principal) throw new ActionError({ code: "UNAUTHORIZED", message: "agenda:signIn" });
  return principal.user;
}

export const agenda = {
  toggleStar: defineAction({
    accept: "form",
    input: z.object({
      slug: trimmed(200, { blank: "required" }),
      /** "true" to star, "false" to un-star (a hidden field of the button's form). */
      starred: z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean("invalid")),
    }),
    handler: ({ slug, starred }, context) => {
      const user = accountOf(context);
      // The audience rule for this request's viewer: only sessions they see in full can be starred.
      const outcome = setStar(getDb(), currentProgramme(), context.locals.viewer, user.id, slug, starred);
      if (!outcome.ok) throw new ActionError({ code: "NOT_FOUND", message: "agenda:unknownSession" });
      return { slug, starred: outcome.starred };
    },
  }),

  resetAgendaFeed: defineAction({
    accept: "form",
    input: z.object({}),
    handler: (_input, context) => {
      const user = accountOf(context);
      const created = feedTokenOf(getDb(), getAppKey(), user.id) === null;
      resetFeedToken(getDb(), getAppKey(), user.id);
      return { created };
    },
  }),
};
