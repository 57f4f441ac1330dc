/** English text of the ticket (its PDF and PNG, and the ticket on the manage page; merged into en.ts under `ticket`). */
export const ticketEn = {
  title: (event: string) => `Ticket · ${event}`,
  attendee: "Attendee",
  category: "Category",
  venue: "Venue",
  code: "Ticket code",
  scan: "Show this ticket at the registration desk",
  personal: "Personal ticket: one entry, for its holder only. Keep the QR code to yourself.",
  pdf: "Download the ticket (PDF, to print)",
  png: "Download the ticket (image, for your phone)",
  codeHint: "If the QR code cannot be read, the desk can find you by this code or by your name.",
};
