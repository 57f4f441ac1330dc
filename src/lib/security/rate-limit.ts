/**
 * In-memory sliding-window rate limits, per key (an IP address, an e-mail address). One server
 * process holds them; a restart forgets them, which errs on the side of letting people in.
 */
export interface RateLimiter {
  /** Counts one attempt for `key`; refused when `limit` attempts were already counted in the window. */
  hit(key: string, now?: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  /** Whether `key` is currently limited, without counting an attempt. */
  check(key: string, now?: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

export function createRateLimiter({
  limit,
  windowMs,
  maxKeys = 50_000,
}: {
  limit: number;
  windowMs: number;
  maxKeys?: number;
}): RateLimiter {
  const hits = new Map<string, number[]>();

  function recent(key: string, now: number): number[] {
    const times = (hits.get(key) ?? []).filter((t) => t > now - windowMs);
    if (times.length) hits.set(key, times);
    else hits.delete(key);
    return times;
  }

  function verdict(times: number[], now: number) {
    if (times.length < limit) return { allowed: true as const };
    return { allowed: false as const, retryAfterSeconds: Math.max(1, Math.ceil((times[0] + windowMs - now) / 1000)) };
  }

  return {
    check(key, now = Date.now()) {
      return verdict(recent(key, now), now);
    },
    hit(key, now = Date.now()) {
      const times = recent(key, now);
      const result = verdict(times, now);
      if (!result.allowed) return result;
      if (!hits.has(key) && hits.size >= maxKeys) {
        // Bounded memory: forget the oldest key (Map keeps insertion order).
        hits.delete(hits.keys().next().value!);
      }
      times.push(now);
      hits.set(key, times);
      return result;
    },
  };
}

/** Parses a limit like "10/3600" (attempts per seconds); `fallback` when unset or malformed. */
export function parseLimit(value: string | undefined, fallback: { limit: number; windowMs: number }): { limit: number; windowMs: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value ?? "");
  if (!match) return fallback;
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
