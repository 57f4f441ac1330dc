// One session as iCalendar, in French. The English route reads the language from the path.
export { GET } from "../../sessions/[slug].ics.ts";
