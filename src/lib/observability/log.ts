import { format } from "node:util";
import pino, { type DestinationStream, type Logger } from "pino";

/**
 * Structured logs: one JSON object per line on standard output (journald, Docker and every log
 * shipper read that), with `time`, `level`, `pid`, `role` (which process: primary, http,
 * background, mail) and `msg`. LOG_LEVEL (default `info`) picks the least severe level
 * written: `debug`, `info`, `warn`, `error`, `silent`. Request lines are written at `info`
 * (src/lib/observability/http.ts), so `LOG_LEVEL=warn` turns them off.
 *
 * Personal data stays out: request lines carry the route pattern, never the path or the query;
 * messages from elsewhere (Astro, libraries, the console) pass through `scrub()`, which blanks
 * e-mail addresses, query strings and token-like path segments.
 */

export type { Logger };

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** The logger of a process playing `role`, writing synchronously (nothing is lost at exit) to `destination` (stdout). */
export function createLogger(
  role: string,
  { level = process.env.LOG_LEVEL, destination }: { level?: string; destination?: DestinationStream } = {},
): Logger {
  const wanted = (level ?? "").trim().toLowerCase();
  const valid = (LOG_LEVELS as readonly string[]).includes(wanted);
  const logger = pino(
    {
      level: valid ? wanted : "info",
      base: { pid: process.pid, role },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
  if (wanted && !valid) logger.warn(`LOG_LEVEL=${JSON.stringify(level)} is not one of ${LOG_LEVELS.join(", ")}; using info.`);
  return logger;
}

const EMAIL = /[^\s@<>()[\]"'`,;:]+@[^\s@<>()[\]"'`,;:]+\.[A-Za-z]{2,}/g;
const QUERY = /\?[^\s"'`<>)]+/g;
const TOKEN_SEGMENT = /\/[A-Za-z0-9_-]{32,}(?=[/?#\s"'`)]|$)/g;

/** `text` without e-mail addresses, query strings or token-like path segments (private links). */
export function scrub(text: string): string {
  return text.replace(EMAIL, "[email]").replace(QUERY, "?[redacted]").replace(TOKEN_SEGMENT, "/[redacted]");
}

/** An error as a log field: type, message and stack (scrubbed), and its own string or number properties. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: scrub(String(error)) };
  const fields: Record<string, unknown> = { type: error.name, message: scrub(error.message) };
  if (error.stack) fields.stack = scrub(error.stack);
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === "string") fields[key] = scrub(value);
    else if (typeof value === "number" || typeof value === "boolean") fields[key] = value;
  }
  if (error.cause !== undefined) fields.cause = serializeError(error.cause);
  return fields;
}

/** Logs an exception nothing caught as one `fatal` line with its stack, then exits 1 (the primary replaces the process). */
export function logCrashes(logger: Logger): void {
  process.on("uncaughtException", (error) => {
    logger.fatal({ err: error }, `Uncaught exception, exiting: ${scrub((error as Error)?.message ?? String(error))}`);
    process.exit(1);
  });
}

/** Writes `args` (as console.log would format them) at `level`, an Error among them as `err`. */
function write(logger: Logger, level: "debug" | "info" | "warn" | "error", args: unknown[]): void {
  if (!logger.isLevelEnabled(level)) return;
  const error = args.find((a) => a instanceof Error);
  const rest = error ? args.filter((a) => a !== error) : args;
  const msg = scrub(format(...rest));
  if (error) logger[level]({ err: error }, msg || (error as Error).message);
  else logger[level](msg);
}

const SINK = Symbol.for("forum.log");
type SinkRegistry = { [SINK]?: LogSink };

/** What the bundled site (Astro's logger, src/lib/observability/astro-logger.mjs) writes to. */
export interface LogSink {
  astro(event: { level: string; label: string | null; message: string }): void;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * Makes `logger` the process's only way out: console.* and Astro's own logger write JSON lines
 * through it, scrubbed, and an uncaught exception is its last line; `context()` adds fields of the
 * request being served (its id) to Astro's lines.
 */
export function installLogger(logger: Logger, context: () => Record<string, unknown> | undefined = () => undefined): void {
  logCrashes(logger);
  console.log = (...args: unknown[]) => write(logger, "info", args);
  console.info = console.log;
  console.debug = (...args: unknown[]) => write(logger, "debug", args);
  console.warn = (...args: unknown[]) => write(logger, "warn", args);
  console.error = (...args: unknown[]) => write(logger, "error", args);
  console.trace = (...args: unknown[]) => write(logger, "debug", args);
  (globalThis as SinkRegistry)[SINK] = {
    astro({ level, label, message }) {
      const at = level === "error" || level === "warn" || level === "debug" ? level : "info";
      if (!logger.isLevelEnabled(at)) return;
      logger[at]({ ...context(), astro: label ?? undefined }, scrub(message.replace(ANSI, "").trimEnd()));
    },
  };
}
