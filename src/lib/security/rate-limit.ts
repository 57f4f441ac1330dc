import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import type Database from "better-sqlite3";
import type { Db } from "../../../db/client.ts";

/**
 * Rate limits kept in the database (`rate_limits`), so that every server process on one database
 * file shares them and a restart forgets nothing.
 *
 * Each limiter and client is one row. Its window is cut into at most 60 slots of `windowMs / 60`
 * (at least 1 ms); the row holds the count of each slot still in the window. A slot counts as long
 * as any part of it lies in the window, so at most `limit` attempts are ever allowed in any
 * `windowMs`, and a refusal lasts at most one slot (1/60 of the window) longer than an exact log
 * would make it. The row stays small whatever the limit (a bench's 100000000/60 too), and one
 * IMMEDIATE transaction reads and writes it: two processes hitting the same key at once are
 * serialised by SQLite (WAL and busy_timeout, db/client.ts).
 *
 * Keys are client addresses, e-mail addresses and account ids: personal data. The row stores an
 * HMAC of the limiter's name and the key under the application key, never the key itself.
 */
export interface RateLimiter {
  /** Counts one attempt for `key`; refused (and not counted) when `limit` attempts were already counted in the window. */
  hit(key: string, now?: number): RateVerdict;
  /** Whether `key` is currently limited, without counting an attempt. */
  check(key: string, now?: number): RateVerdict;
}

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Slots per window: the precision of the window's sliding edge. */
const SLOTS = 60;

type Slots = [slot: number, count: number][];

/** A rate limiter named `name` (one per purpose: "register.ip", "signin.email", ...), counting in `db`. */
export function createRateLimiter({
  db,
  appKey,
  name,
  limit,
  windowMs,
}: {
  /** The database, or how to get it (opened lazily by the server). */
  db: Db | (() => Db);
  /** The application key, or how to get it: keys are stored as an HMAC under a key derived from it. */
  appKey: Buffer | (() => Buffer);
  name: string;
  limit: number;
  windowMs: number;
}): RateLimiter {
  const slotMs = Math.max(1, Math.ceil(windowMs / SLOTS));
  let statements:
    | { conn: Database.Database; read: Database.Statement; write: Database.Statement; hit: (key: string, now: number) => RateVerdict }
    | undefined;
  let hashKey: KeyObject | undefined;

  function prepared() {
    const conn = (typeof db === "function" ? db() : db).$client;
    if (statements?.conn !== conn) {
      const read = conn.prepare("select slots from rate_limits where limiter = ? and key = ?").pluck();
      const write = conn.prepare(
        "insert into rate_limits (limiter, key, slots, expires_at) values (?, ?, ?, ?) " +
          "on conflict (limiter, key) do update set slots = excluded.slots, expires_at = excluded.expires_at",
      );
      const hit = conn.transaction((key: string, now: number): RateVerdict => {
        const slots = live(read.get(name, key) as string | undefined, now);
        const result = verdict(slots, now);
        if (!result.allowed) return result;
        const current = Math.floor(now / slotMs);
        const last = slots.at(-1);
        if (last && last[0] === current) last[1]++;
        else slots.push([current, 1]);
        write.run(name, key, JSON.stringify(slots), (current + 1) * slotMs + windowMs);
        return result;
      });
      statements = { conn, read, write, hit: (key, now) => hit.immediate(key, now) };
    }
    return statements;
  }

  /** The stored slots still (partly) inside the window ending at `now`. */
  function live(stored: string | undefined, now: number): Slots {
    if (!stored) return [];
    const slots = JSON.parse(stored) as Slots;
    return slots.filter(([slot]) => (slot + 1) * slotMs > now - windowMs);
  }

  function verdict(slots: Slots, now: number): RateVerdict {
    let total = slots.reduce((sum, [, count]) => sum + count, 0);
    if (total < limit) return { allowed: true };
    // Refused until enough of the oldest slots have left the window.
    for (const [slot, count] of slots) {
      total -= count;
      if (total < limit) {
        const freeAt = (slot + 1) * slotMs + windowMs;
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
      }
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(windowMs / 1000)) };
  }

  function keyOf(key: string): string {
    hashKey ??= createSecretKey(
      createHmac("sha256", typeof appKey === "function" ? appKey() : appKey)
        .update("rate-limit")
        .digest(),
    );
    return createHmac("sha256", hashKey).update(`${name}\0${key.trim().toLowerCase()}`).digest("base64url").slice(0, 32);
  }

  return {
    check(key, now = Date.now()) {
      if (limit <= 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(windowMs / 1000)) };
      const { read } = prepared();
      return verdict(live(read.get(name, keyOf(key)) as string | undefined, now), now);
    },
    hit(key, now = Date.now()) {
      if (limit <= 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(windowMs / 1000)) };
      return prepared().hit(keyOf(key), now);
    },
  };
}

/** Deletes the rows of every limiter whose window is over; returns how many. The housekeeping loop calls it. */
export function purgeRateLimits(db: Db, now: number = Date.now()): number {
  return db.$client.prepare("delete from rate_limits where expires_at <= ?").run(now).changes;
}

/** Parses a limit like "10/3600" (attempts per seconds); `fallback` when unset or malformed. */
export function parseLimit(value: string | undefined, fallback: { limit: number; windowMs: number }): { limit: number; windowMs: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value ?? "");
  if (!match || Number(match[2]) === 0) return fallback;
  return { limit: Number(match[1]), windowMs: Number(match[2]) * 1000 };
}

/**
 * The key of a client address for rate limits: an IPv4 address as is, an IPv6 address by its /64
 * (one subscriber usually holds a whole /64, and could otherwise rotate through it).
 */
export function clientKey(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  if (!plain.includes(":")) return plain;
  const [head, tail = ""] = plain.split("::");
  const left = head ? head.split(":") : [];
  const right = plain.includes("::") && tail ? tail.split(":") : [];
  const groups = plain.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(":")}::/64`;
}
