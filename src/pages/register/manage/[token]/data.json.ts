import type { APIRoute } from "astro";
import { findByToken, personalData } from "../../../../lib/registration/service.ts";
import { getDb, registrationDeps } from "../../../../web/runtime.ts";

/** Everything held about the registration, for its holder (the private link), as JSON. */
export const GET: APIRoute = ({ params }) => {
  const registration = findByToken(registrationDeps(), params.token ?? "");
  const headers = { "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex" };
  if (!registration)
    return new Response("Not found\n", { status: 404, headers: { ...headers, "Content-Type": "text/plain; charset=utf-8" } });
  return new Response(JSON.stringify(personalData(getDb(), registration), null, 2) + "\n", {
    headers: {
      ...headers,
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": 'attachment; filename="registration.json"',
    },
  });
};
