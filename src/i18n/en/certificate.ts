/** English text of the certificate of attendance (its PDF, the manage page, the e-mail; merged into en.ts under `certificate`). */
export const certificateEn = {
  title: "Certificate of attendance",
  certify: "This is to certify that",
  attended: "attended",
  days: (n: number): string => (n === 1 ? "Day attended" : "Days attended"),
  issued: (place: string) => `Issued in ${place}`,
  forOrganizers: (hosts: string) => `for the organizers: ${hosts}`,
  // The manage page.
  heading: "Certificate of attendance",
  download: "Download your certificate of attendance (PDF)",
  daysChecked: (days: string) => `Your certificate lists the days you were checked in at the forum: ${days}.`,
  notYet: "Your certificate of attendance will be here once you have been checked in at the forum’s registration desk.",
  fileName: "certificate-of-attendance.pdf",
  notFound: "No certificate of attendance: this registration was never checked in at the forum.",
};
