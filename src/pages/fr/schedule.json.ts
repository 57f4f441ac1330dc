// The programme in the frab/pretalx schedule JSON, in French. The English route reads the language from the path.
export { GET } from "../schedule.json.ts";
