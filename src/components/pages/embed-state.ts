import type { AstroGlobal } from "astro";
import type { Locale } from "../../i18n/index.ts";
import { ANONYMOUS } from "../../lib/programme/audience.ts";
import { getSiteUrl, programmeFor } from "../../web/runtime.ts";
import { guardPage, type Guarded } from "./admin-state.ts";

export interface EmbedProps {
  locale: Locale;
  siteUrl: string;
  /** The published programme's tracks, as the widget offers them (the anonymous public's view). */
  tracks: { slug: string; name: string }[];
}

/** The organizers' page of the embeddable schedule (`programme.edit`, decision 43): the snippet, its attributes, the tracks' slugs. */
export function embedState(Astro: AstroGlobal): Guarded<EmbedProps> {
  const guard = guardPage(Astro, "programme.edit");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  return {
    props: {
      locale,
      siteUrl: getSiteUrl().replace(/\/$/, ""),
      tracks: programmeFor(ANONYMOUS).tracks.map((track) => ({ slug: track.slug, name: track.name[locale] })),
    },
  };
}
