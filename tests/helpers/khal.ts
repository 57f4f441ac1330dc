import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * khal (Debian's `khal`, a terminal calendar built on python-icalendar) as a real calendar client:
 * imports iCalendar files into a fresh local calendar and lists what it understood, in a reader's
 * own time zone.
 */

/** The khal binary, when installed. */
export const KHAL = ["/usr/bin/khal", "/usr/local/bin/khal"].find((path) => existsSync(path));

/** Why khal tests are skipped, or undefined when they can run. */
export const khalMissing = KHAL ? undefined : "khal is not installed (apt-get install -y --no-install-recommends khal)";

/** One event as khal lists it: local start and end ("YYYY-MM-DD HH:MM", or a date for all-day events), title, location. */
export interface KhalEvent {
  start: string;
  end: string;
  title: string;
  location: string;
}

/** Imports every file of `calendars` into one fresh khal calendar read in `zone`; lists the events from `from` over `days` days. */
export function khalEvents(calendars: string[], zone: string, from: string, days: number): KhalEvent[] {
  if (!KHAL) throw new Error(khalMissing);
  const home = mkdtempSync(join(tmpdir(), "khal-"));
  try {
    mkdirSync(join(home, "calendar"));
    const config = join(home, "config");
    writeFileSync(
      config,
      [
        "[calendars]",
        "[[forum]]",
        `path = ${join(home, "calendar")}`,
        "type = calendar",
        "[locale]",
        "timeformat = %H:%M",
        "dateformat = %Y-%m-%d",
        "longdateformat = %Y-%m-%d",
        "datetimeformat = %Y-%m-%d %H:%M",
        "longdatetimeformat = %Y-%m-%d %H:%M",
        `local_timezone = ${zone}`,
        `default_timezone = ${zone}`,
        "",
      ].join("\n"),
    );
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_DATA_HOME: join(home, "data"), LANG: "C.UTF-8" };
    const run = (args: string[]) => {
      const result = spawnSync(KHAL!, ["-c", config, ...args], { env, encoding: "utf8" });
      if (result.status !== 0) throw new Error(`khal ${args.join(" ")} failed (${result.status}):\n${result.stderr}${result.stdout}`);
      return result.stdout;
    };
    calendars.forEach((ics, i) => {
      const file = join(home, `import-${i}.ics`);
      writeFileSync(file, ics);
      run(["import", "--batch", file]);
    });
    const SEPARATOR = "\u241f";
    return run(["list", "--day-format", "", "--format", ["{start}", "{end}", "{title}", "{location}"].join(SEPARATOR), from, `${days}d`])
      .split("\n")
      .filter((line) => line.includes(SEPARATOR))
      .map((line) => {
        const [start, end, title, location] = line.split(SEPARATOR);
        return { start, end, title, location };
      });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
