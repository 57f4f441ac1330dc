/** What each character special to HTML and XML becomes. */
const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * `text` escaped for HTML or XML character data and for a quoted attribute value (either quote):
 * the one escape of the code that writes markup by hand (e-mails, feeds, schedule XML, Markdown's
 * text). Astro escapes what pages render.
 */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
