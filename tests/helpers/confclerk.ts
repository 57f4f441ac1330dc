import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { freePort } from "./server.ts";

/**
 * Runs the real ConfClerk (Debian's `confclerk`, a Qt frab schedule reader) on a schedule URL and
 * returns what its own parser stored in its SQLite database.
 *
 * ConfClerk has no command line import: it loads a schedule when its "Reload" action (Ctrl+R) runs
 * for the active conference. So the helper starts it with Qt's VNC platform plugin (no display
 * needed), lets it create its database, adds a conference with the URL, and presses Ctrl+R through
 * a minimal RFB client; then it waits until the import has been committed.
 */

/** The ConfClerk binary, when installed. */
export const CONFCLERK = ["/usr/bin/confclerk", "/usr/local/bin/confclerk"].find((path) => existsSync(path));

/** Why ConfClerk tests are skipped, or undefined when they can run. */
export const confclerkMissing = CONFCLERK ? undefined : "ConfClerk is not installed (apt-get install -y --no-install-recommends confclerk)";

/** What ConfClerk stored of one import. */
export interface ConfClerkImport {
  conference: { title: string; start: number; end: number; timeslot_duration: number; utc_offset: number | null; url: string };
  events: { id: number; start: number; duration: number; title: string; track: string; type: string; language: string; abstract: string }[];
  rooms: { event: number; room: string }[];
  persons: { id: number; name: string }[];
  eventPersons: { event: number; person: number }[];
  /** What ConfClerk printed (its errors go there). */
  output: string;
}

const PLACEHOLDER = "(not imported yet)";

/** Waits until `check` returns a value, polling; throws with `what` after `ms`. */
async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`ConfClerk: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A minimal RFB (VNC) 3.3 client: handshake without authentication, then Ctrl+R pressed and released. */
function pressReload(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let buffer = Buffer.alloc(0);
    let stage: "version" | "security" | "init" | "done" = "version";
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === "version" && buffer.length >= 12) {
        buffer = buffer.subarray(12);
        socket.write("RFB 003.003\n");
        stage = "security";
      }
      if (stage === "security" && buffer.length >= 4) {
        const type = buffer.readUInt32BE(0);
        if (type !== 1) return reject(new Error(`ConfClerk's VNC server asks for security type ${type}`));
        buffer = buffer.subarray(4);
        socket.write(Buffer.from([1])); // ClientInit: shared
        stage = "init";
      }
      if (stage === "init" && buffer.length >= 24 && buffer.length >= 24 + buffer.readUInt32BE(20)) {
        stage = "done";
        const CONTROL = 0xffe3;
        const R = 0x72;
        const key = (keysym: number, down: boolean) => {
          const message = Buffer.alloc(8);
          message[0] = 4; // KeyEvent
          message[1] = down ? 1 : 0;
          message.writeUInt32BE(keysym, 4);
          return message;
        };
        socket.end(Buffer.concat([key(CONTROL, true), key(R, true), key(R, false), key(CONTROL, false)]), () => resolve());
      }
    });
  });
}

/** Imports the schedule at `url` into a fresh ConfClerk and returns what it stored. */
export async function importIntoConfClerk(url: string): Promise<ConfClerkImport> {
  if (!CONFCLERK) throw new Error(confclerkMissing);
  const home = mkdtempSync(join(tmpdir(), "confclerk-"));
  const runtime = join(home, "runtime");
  mkdirSync(runtime, { mode: 0o700 });
  const databasePath = join(home, "data", "Toastfreeware", "ConfClerk", "ConfClerk.sqlite");
  const port = await freePort();
  const child = spawn(CONFCLERK, [], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      XDG_DATA_HOME: join(home, "data"),
      XDG_CONFIG_HOME: join(home, "config"),
      XDG_RUNTIME_DIR: runtime,
      QT_QPA_PLATFORM: `vnc:port=${port}`,
      LANG: "C.UTF-8",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const alive = () => {
    if (child.exitCode !== null) throw new Error(`ConfClerk exited with ${child.exitCode}:\n${output}`);
  };
  try {
    // ConfClerk creates its database (schema included) as it starts.
    await until("its database", () => {
      alive();
      if (!existsSync(databasePath)) return undefined;
      const db = new Database(databasePath, { readonly: true, fileMustExist: true });
      try {
        return db.prepare("select count(*) as n from sqlite_master where name = 'conference'").get() ? true : undefined;
      } catch {
        return undefined;
      } finally {
        db.close();
      }
    });
    const db = new Database(databasePath, { fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    try {
      db.prepare("insert into conference (title, start, end, active, url) values (?, 0, 0, 1, ?)").run(PLACEHOLDER, url);
      await until("its VNC server", () => {
        alive();
        return new Promise<true | undefined>((resolve) => {
          const probe = connect(port, "127.0.0.1", () => (probe.destroy(), resolve(true)));
          probe.on("error", () => resolve(undefined));
        });
      });
      await pressReload(port);
      // The parser writes everything in one transaction, the conference's new title with it.
      await until("the import", () => {
        alive();
        const row = db.prepare("select title from conference").get() as { title: string } | undefined;
        if (!row || row.title === PLACEHOLDER) return undefined;
        return true;
      });
      return {
        conference: db
          .prepare("select title, start, end, timeslot_duration, utc_offset, url from conference")
          .get() as ConfClerkImport["conference"],
        events: db
          .prepare(
            "select e.id, e.start, e.duration, e.title, t.name as track, e.type, e.language, e.abstract from event e left join track t on t.id = e.xid_track order by e.start, e.id",
          )
          .all() as ConfClerkImport["events"],
        rooms: db
          .prepare(
            "select er.xid_event as event, r.name as room from event_room er join room r on r.id = er.xid_room order by er.xid_event",
          )
          .all() as ConfClerkImport["rooms"],
        persons: db.prepare("select id, name from person order by id").all() as ConfClerkImport["persons"],
        eventPersons: db
          .prepare("select xid_event as event, xid_person as person from event_person order by xid_event, xid_person")
          .all() as ConfClerkImport["eventPersons"],
        output,
      };
    } finally {
      db.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(home, { recursive: true, force: true });
  }
}
