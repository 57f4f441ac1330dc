import { Marked } from "marked";
import { escapeMarkup } from "../markup.ts";
import sanitizeHtml from "sanitize-html";

/**
 * Markdown written by speakers and organizers (abstracts, descriptions, biographies), rendered for a
 * public page. Raw HTML in the source is dropped before rendering, and the output goes through an
 * allow-list sanitizer: no script, no event handler, no style, no image, only http(s) and mailto links.
 */

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // Raw HTML (blocks and inline tags) is not part of the accepted Markdown: drop it.
    html: () => "",
    // A link to anything but http(s) or mailto keeps its text and loses the link.
    link({ href, tokens }) {
      const text = this.parser.parseInline(tokens);
      return SAFE_URL.test(href.trim()) ? false : text;
    },
    // No images from elsewhere (the CSP blocks them anyway): their text alternative stays.
    image({ text }) {
      return escapeMarkup(text);
    },
  },
});

const ALLOWED_TAGS = [
  "p",
  "br",
  "ul",
  "ol",
  "li",
  "a",
  "em",
  "strong",
  "del",
  "code",
  "pre",
  "blockquote",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "hr",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
];

/** Options of `renderMarkdown`. */
export interface MarkdownOptions {
  /** Level the text's top headings (`#`) become, so that they fall under the page's own headings. Default 3. */
  headingLevel?: 2 | 3 | 4;
}

function shiftHeadings(base: number): Record<string, string> {
  const map: Record<string, string> = {};
  for (let level = 1; level <= 6; level++) map[`h${level}`] = `h${Math.min(6, level - 1 + base)}`;
  return map;
}

const sanitizerOptions = (headingLevel: number): sanitizeHtml.IOptions => ({
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: { a: ["href", "title", "rel"], th: ["align"], td: ["align"], ol: ["start"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  // Text inside dropped dangerous elements goes with them.
  nonTextTags: ["script", "style", "textarea", "option", "noscript", "iframe", "object", "embed", "template"],
  transformTags: {
    ...shiftHeadings(headingLevel),
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: "nofollow noopener noreferrer" } }),
  },
});

/** Safe HTML for the Markdown `text`. */
export function renderMarkdown(text: string, options: MarkdownOptions = {}): string {
  if (!text.trim()) return "";
  const html = marked.parse(text) as string;
  return sanitizeHtml(html, sanitizerOptions(options.headingLevel ?? 3)).trim();
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

/** Plain text of the Markdown `text` (for meta descriptions), at most `max` characters. */
export function markdownToPlainText(text: string, max = 200): string {
  const plain = sanitizeHtml(marked.parse(text) as string, {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: ["script", "style", "textarea", "option", "noscript"],
  })
    // One pass, so that an escaped entity written by the author ("&amp;lt;") stays as written ("&lt;").
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name]!)
    .replace(/\s+/g, " ")
    .trim();
  return plain.length > max ? `${plain.slice(0, max - 1).replace(/\s+\S*$/, "")}…` : plain;
}
