/** English text of the calendar links beside the programme's exports (merged into en.ts under `calendars`). */
export const calendarsEn = {
  /** Opens the feed in the reader's calendar app (a `webcal:` link), which keeps it up to date. */
  subscribe: "Subscribe",
  subscribeLabel: (what: string) => `Subscribe to ${what} in your calendar app`,
  download: "Download (.ics)",
  downloadLabel: (what: string) => `Download ${what} once (.ics)`,
  hint: "A subscription follows every change of the programme; a download is a copy of it as it is now.",
  programme: "The whole programme",
  programmeWhat: "the whole programme",
  tracks: "One track",
  trackWhat: (track: string) => `the track “${track}”`,
  speakerWhat: (name: string) => `the sessions of ${name}`,
};
