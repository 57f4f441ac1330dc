import type { AstroGlobal } from "astro";
import type { Locale } from "../../lib/locale.ts";

/**
 * What a route's loader (`*-state.ts`) decides: the page's props, or that the visitor goes
 * elsewhere (after a form, or to sign in), that there is no such thing, or that they may not see it.
 */
export type Loaded<T> = { props: T } | { redirect: string } | { notFound: true } | { forbidden: true; locale: Locale };

/**
 * The one way a route answers what its loader decided: the props to render, or the Response to
 * send instead (303 to the redirect; the 404 or 403 page, in the visitor's language), with the
 * headers the loader set, so that a private page's 404 is as private as the page.
 */
export async function settle<T>(Astro: AstroGlobal, loaded: Loaded<T>): Promise<T | Response> {
  if ("props" in loaded) return loaded.props;
  const answer = "redirect" in loaded ? Astro.redirect(loaded.redirect, 303) : await Astro.rewrite("notFound" in loaded ? "/404" : "/403");
  // What the loader said of the answer (private, Clear-Site-Data after signing out) holds for it.
  Astro.response.headers.forEach((value, name) => {
    if (name !== "content-type") answer.headers.set(name, value);
  });
  return answer;
}
