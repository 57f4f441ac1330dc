/** English text of the agenda screens (merged into en.ts under `agenda`). */
export const agendaEn = {
  title: "My agenda",
  description: "The sessions you starred, by day and time, and a private calendar address that follows them.",
  intro: "The sessions you starred on the programme, in time order. Times are those of the venue.",
  count: (n: number) => (n === 1 ? "1 session in your agenda" : `${n} sessions in your agenda`),
  empty: "Your agenda is empty. On the programme or on a session’s page, choose “Add to my agenda” to keep a session here.",
  browse: "Browse the programme",
  /** The link to this page from the programme. */
  link: "My agenda",
  linkWithCount: (n: number) => `My agenda (${n})`,
  /** On the account page, what the agenda is. */
  accountIntro: "The sessions you starred on the programme, and a private calendar address that follows them.",
  add: "Add to my agenda",
  remove: "Remove from my agenda",
  removeShort: "Remove",
  inAgenda: "In your agenda",
  signInToStar: "Sign in to keep your own agenda",
  sessionsOf: (day: string) => `Your sessions on ${day}`,
  feed: {
    title: "Subscribe in your calendar",
    intro:
      "Your calendar app can follow a private address: it shows the sessions you starred and stays up to date when you change your agenda or the programme changes.",
    none: "You have no calendar address yet.",
    create: "Create my calendar address",
    label: "Your private calendar address",
    copyHint: "Copy this address into your calendar app (“subscribe to a calendar” or “add from URL”).",
    subscribe: "Open in my calendar app",
    download: "Download once (.ics)",
    private:
      "Anyone who has this address can read your agenda, so keep it to yourself. If it was shared by mistake, reset it: the old address then stops working.",
    reset: "Reset the link",
    created: "Your private calendar address is ready.",
    wasReset: "A new address has been issued. The previous one no longer works: give the new one to your calendar app.",
  },
  errors: {
    unknownSession: "This session cannot be added to your agenda.",
    generic: "Your agenda could not be changed. Please try again.",
  },
  /** The calendar's name in calendar apps, e.g. "My agenda · IFTSW 2013". */
  calendarName: (edition: string) => `My agenda · ${edition}`,
};
