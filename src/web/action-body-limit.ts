import { ActionError, getActionContext } from "astro:actions";
import type { APIContext } from "astro";
import { allowed, type Permission } from "../lib/auth/guard.ts";

/**
 * Body limits of the Actions. Forms are small and get 64 KiB; only the Actions named in
 * UPLOAD_ACTIONS (a speaker's photo) get UPLOAD_BODY_LIMIT, which is also Astro's own
 * `security.actionBodySizeLimit` in astro.config.mjs (Astro has one limit for all Actions, so
 * the smaller one is applied here, in the middleware, before Astro parses the body).
 */

export const FORM_BODY_LIMIT = 64 * 1024;
/** Keep equal to `security.actionBodySizeLimit` in astro.config.mjs. */
export const UPLOAD_BODY_LIMIT = 6 * 1024 * 1024;
/**
 * Actions that take files, with who may send one: a permission, or "signedIn" for any signed-in
 * account (a speaker's own profile photo); anyone else keeps the 64 KiB limit.
 */
export const UPLOAD_ACTIONS: ReadonlyMap<string, Permission | "signedIn"> = new Map<string, Permission | "signedIn">([
  ["speakerPhoto", "programme.edit"],
  ["cfpProfilePhoto", "signedIn"],
]);

/** The name of the Action a request calls (form `?_action=` or `/_actions/<name>`), or null. */
export function actionNameOf(url: URL): string | null {
  if (url.pathname.startsWith("/_actions/")) return url.pathname.slice("/_actions/".length).replace(/\/$/, "");
  return url.searchParams.get("_action");
}

/** The body limit of the Action `name` for a request whose principal may (or not) upload. */
export function bodyLimitOf(name: string, principal: Parameters<typeof allowed>[0]): number {
  const permission = UPLOAD_ACTIONS.get(name);
  const may = permission === "signedIn" ? !!principal : !!permission && allowed(principal, permission);
  return may ? UPLOAD_BODY_LIMIT : FORM_BODY_LIMIT;
}

/** True when the body is longer than `limit`; reads at most `limit + 1` bytes of a copy when no length is given. */
async function exceeds(request: Request, limit: number): Promise<boolean> {
  const header = request.headers.get("content-length");
  if (header !== null && /^\d+$/.test(header.trim())) return Number(header) > limit;
  const reader = request.clone().body?.getReader();
  if (!reader) return false;
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return true;
    }
  }
}

/**
 * For an Action request over its limit: a form post gets the Action's CONTENT_TOO_LARGE result (the
 * page shows "too large" with status 413, as Astro does by itself); an RPC call a bare 413. Returns
 * the response to send, or undefined to go on.
 */
export async function limitActionBody(context: APIContext): Promise<Response | undefined> {
  if (context.request.method !== "POST") return undefined;
  const name = actionNameOf(context.url);
  if (!name) return undefined;
  const limit = bodyLimitOf(name, context.locals.principal);
  // Astro applies the upload limit itself.
  if (limit === UPLOAD_BODY_LIMIT || !(await exceeds(context.request, limit))) return undefined;
  if (context.url.pathname.startsWith("/_actions/"))
    return new Response("Request body too large.\n", { status: 413, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  const { action, setActionResult, serializeActionResult } = getActionContext(context);
  if (!action) return undefined;
  setActionResult(
    action.name,
    serializeActionResult({
      data: undefined,
      error: new ActionError({ code: "CONTENT_TOO_LARGE", message: `Request body exceeds ${FORM_BODY_LIMIT} bytes` }),
    }),
  );
  return undefined;
}
