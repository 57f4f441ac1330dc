/**
 * The last step of every iCalendar file the site writes. ical-generator puts some calendar
 * properties (REFRESH-INTERVAL, X-PUBLISHED-TTL, the `x` ones such as X-WR-TIMEZONE) after the
 * components, where RFC 5545 (section 3.6: `icalbody = calprops component`) wants every calendar
 * property before the first component; strict readers drop or reject them there.
 */

/** `ics` with every calendar property moved before the first component (order kept), ending in CRLF. */
export function calendarText(ics: string): string {
  const lines = ics.split(/\r?\n/);
  while (lines.length && lines.at(-1) === "") lines.pop();
  const properties: string[] = [];
  const components: string[] = [];
  let depth = 0;
  let target = properties;
  for (const line of lines) {
    // A folded line continues the content line before it, wherever that went.
    if (/^[ \t]/.test(line)) {
      target.push(line);
      continue;
    }
    const begin = /^BEGIN:/i.test(line);
    const end = /^END:/i.test(line);
    if (begin) depth++;
    target = depth === 1 && !begin && !end ? properties : components;
    if (depth === 1 && begin) target = properties; // BEGIN:VCALENDAR itself
    target.push(line);
    if (end) depth--;
  }
  const close = components.pop(); // END:VCALENDAR
  if (close === undefined || !/^END:VCALENDAR$/i.test(close) || !/^BEGIN:VCALENDAR$/i.test(properties[0] ?? "")) {
    throw new Error("calendarText: not one VCALENDAR");
  }
  // RFC 5545 ends every content line, the last one too, with CRLF.
  return [...properties, ...components, close].join("\r\n") + "\r\n";
}
