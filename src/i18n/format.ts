import { dateFormat, type Locale } from "../lib/locale.ts";
import { t } from "./index.ts";

/**
 * The formats of the pages: those of the locale leaf (src/lib/locale.ts, which the domain uses
 * too), and the sentence that names the programme's time zone, which takes the messages' words.
 */
export {
  compareNames,
  countryName,
  formatDateRange,
  formatDay,
  formatDayShort,
  formatTime,
  languageName,
  sortByName,
} from "../lib/locale.ts";
export { localDay } from "../lib/programme/time.ts";

/** "Times in Paris time (Central European Summer Time, GMT+2)", for the zone as it is at `at`. */
export function describeTimes(zone: string, at: Date, locale: Locale): string {
  const part = (timeZoneName: "long" | "shortOffset") =>
    dateFormat(locale, { timeZone: zone, timeZoneName })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName")?.value ?? zone;
  const city = (zone.split("/").pop() ?? zone).replace(/_/g, " ");
  return t(locale).timesIn(city, part("long"), part("shortOffset"));
}
