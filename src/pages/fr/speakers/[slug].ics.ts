// One speaker's sessions as iCalendar, in French. The English route reads the language from the path.
export { GET } from "../../speakers/[slug].ics.ts";
