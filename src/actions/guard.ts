import { ActionError, type ActionAPIContext } from "astro:actions";
import { allowed, type Permission, type Principal } from "../lib/auth/guard.ts";

/** The principal, if it holds `permission`; otherwise the Action stops (401 when signed out, 403 otherwise). */
export function requirePermission(context: ActionAPIContext, permission: Permission): Principal {
  const principal = context.locals.principal;
  if (!principal || !allowed(principal, permission))
    throw new ActionError({ code: principal ? "FORBIDDEN" : "UNAUTHORIZED", message: "forbidden" });
  return principal;
}

/** Who did it, as the audit log and the domain functions name an actor. */
export const actorOf = (principal: Principal) => ({ id: principal.user.id, email: principal.user.email });

/** The Action stops with 429: the client must wait `retryAfterSeconds` (the page says how long). */
export function limited(retryAfterSeconds: number): never {
  throw new ActionError({ code: "TOO_MANY_REQUESTS", message: `retryAfter:${retryAfterSeconds}` });
}
