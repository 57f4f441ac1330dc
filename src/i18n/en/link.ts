/** English text of "resend my link" (merged into en.ts under `resendLink`). */
export const resendLinkEn = {
  title: "Get the link to your registration again",
  description: "Lost the e-mail with the link to your registration? We send it again to the address you registered with.",
  intro:
    "Type the e-mail address you registered with. If it has a registration, we send the private link to manage it (and download your ticket) to that address.",
  email: "E-mail address",
  send: "Send me the link",
  sentTitle: "Check your inbox",
  sent: "If this address has a registration, a message with its private link is on its way to it. It can take a few minutes.",
  sentNote: "Nothing after a few minutes? Look in your spam folder, or check the address you typed and ask again.",
  /** The link to this page, from the registration form and an unknown manage link. */
  link: "Already registered? Get the link to your registration again",
};
