/** English text of the embeddable schedule and its page for organizers (merged into en.ts under `embed`). */

export const embedEn = {
  // The widget's words (served inside /embed/schedule.js, chosen by its `lang` attribute).
  widget: {
    title: "Programme",
    day: "Day",
    allDays: "All days",
    track: "Track",
    allTracks: "All tracks",
    loading: "Loading the programme…",
    failed: "The programme could not be loaded.",
    none: "No session matches these choices.",
    /** How many sessions are shown ({n}): the CLDR "one" form, and every other. */
    countOne: "{n} session",
    countOther: "{n} sessions",
    filters: "Filter the programme",
    zone: "Times are those of the forum ({zone}).",
    room: "Room",
    speakers: "Speakers",
  },
  // The organizers' page that shows the snippet.
  page: {
    menu: "Schedule for other sites",
    title: "The schedule on other sites",
    intro:
      "Partners, the press office or a host institution can show this forum’s programme on their own site with the snippet below: one script from this site and one element. It shows only what the public may see here, whoever is signed in, and stays a link to the programme where JavaScript does not run.",
    snippet: "The snippet",
    copy: "Copy the snippet",
    copied: "Copied.",
    noTracks: "The published programme has no tracks yet.",
    attributes: "Its attributes",
    attribute: "Attribute",
    meaning: "Meaning",
    lang: "“en” or “fr”: the language of the schedule and its controls. Without it, the “lang” parameter of the script’s address, else the host page’s language (English for any other).",
    dayAttr: "A day shown first, as YYYY-MM-DD (the visitor can still choose another).",
    trackAttr: "A track shown first, by its slug (e.g. the one in the programme’s addresses).",
    headingAttr: "The level of its heading, 2 to 6 (2 when absent), to fit the host page’s outline.",
    tracks: "Tracks and their slugs",
    preview: "Preview",
    previewHint: "The schedule as another site shows it, with the attributes of the snippet above.",
    csp: "A site with a Content-Security-Policy allows this site’s address in its script-src and connect-src.",
    noScript: "Without JavaScript, visitors see the element’s content: the link to the programme.",
  },
};
