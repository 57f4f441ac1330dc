// The programme in the frab/pretalx schedule XML, in French. The English route reads the language from the path.
export { GET } from "../schedule.xml.ts";
