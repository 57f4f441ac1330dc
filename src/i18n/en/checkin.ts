/** English text of the check-in desk (merged into en.ts under `checkin`). */

export const checkinEn = {
  menu: "Check-in desk",
  title: "Check-in desk",
  intro: "Scan the ticket's QR code, or type or paste its code, or find the attendee by name.",
  ticketLegend: "Ticket",
  ticket: "Ticket code",
  ticketHint: "A scanner that types into this field works as well; press Enter to check in.",
  checkInTicket: "Check in this ticket",
  scan: "Scan with the camera",
  stopScan: "Stop the camera",
  scanning: "Point the camera at the QR code of the ticket.",
  scanFound: "Code read, checking in…",
  scanUnsupported: "This browser cannot read QR codes with the camera: type or paste the ticket code, or search by name.",
  scanDenied: "The camera is not available (permission refused or no camera): type or paste the ticket code, or search by name.",
  video: "Camera view",
  searchLegend: "Find by name",
  search: "Name, e-mail, organisation or the code printed on the ticket",
  searchButton: "Search",
  results: (n: number, max: number) =>
    n === 0
      ? "No confirmed registration matches."
      : n >= max
        ? `The first ${max} matches; type more to narrow down.`
        : `${n} match${n === 1 ? "" : "es"}`,
  resultsCaption: "Confirmed registrations matching the search",
  name: "Name",
  organisation: "Organisation",
  category: "Category",
  state: "State",
  action: "Check-in",
  checkIn: "Check in",
  checkInWho: (name: string) => `Check in ${name}`,
  checkedInAt: (time: string) => `Checked in at ${time}`,
  notCheckedIn: "Not checked in",
  badge: "Print the badge",
  badgeOf: (name: string) => `Print the badge of ${name}`,
  done: (name: string) => `${name} is checked in.`,
  already: (name: string, time: string) => `${name} was already checked in at ${time}.`,
  back: "Check-in desk",
  badgeTitle: (name: string) => `Badge: ${name}`,
  print: "Print",
  printHint: "The page prints the badge alone, on one page.",
  errors: {
    not_found: "No registration has this ticket code. Check the code, or search by name.",
    pending_email: "Not confirmed: the attendee never confirmed their e-mail address. They cannot be checked in.",
    pending_review: "Not confirmed: the registration is still being reviewed by the organizers. They cannot be checked in yet.",
    waitlisted: "Not confirmed: the registration is on the waiting list, without a seat. They cannot be checked in.",
    cancelled: "The registration was cancelled. They cannot be checked in.",
    rejected: "The registration was not accepted by the organizers. They cannot be checked in.",
  } as Record<string, string>,
  refusedWho: (name: string, reason: string) => `${name}: ${reason}`,
};
