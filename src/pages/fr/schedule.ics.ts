// The whole programme as iCalendar, in French. The English route reads the language from the path.
export { GET } from "../schedule.ics.ts";
