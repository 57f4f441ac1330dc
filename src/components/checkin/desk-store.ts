/**
 * What a desk keeps on its device (decision 31): the day's roster (ticket hashes, name, organisation,
 * category, state, check-in; where entry and exit are counted, whether inside today, decision 38),
 * the scans waiting to be sent and the conflicts to show. In memory while
 * the page is open; at rest only in IndexedDB, encrypted with an AES-GCM key that scripts cannot read
 * out (non-extractable). Erased at sign-out, when another account opens the desk, and at the end of
 * the forum's day.
 */

export interface Entry {
  hash: string;
  id: number;
  name: string;
  organisation: string;
  category: string;
  state: string;
  checkedInAt: number | null;
  desk: string | null;
  /** While entry and exit are counted (decision 38): inside today, and when and where that last changed. */
  inside?: boolean;
  presenceAt?: number | null;
  presenceDesk?: string | null;
}

/** What a desk answers (decision 31; the door's four answers, decision 38). */
export type Outcome = "admitted" | "already" | "refused" | "entered" | "exited" | "already_inside" | "not_inside";

export interface QueuedScan {
  nonce: string;
  code: string;
  at: number;
  desk: string;
  /** The way the desk scanned, while entry and exit are counted. */
  direction?: "entry" | "exit";
  /** What the desk answered offline, to compare with the server's answer. */
  provisional: Outcome;
}

export interface Conflict {
  nonce: string;
  name: string;
  outcome: Outcome;
  reason?: string;
  checkedInAt?: number | null;
  desk?: string | null;
}

export interface DeskState {
  staff: number;
  day: string;
  /** Epoch ms: the end of the forum's day, when all of this is erased. */
  expires: number;
  /** The server's time of the last roster look (for `?since=`). */
  seen: number;
  /** Whether the roster was drawn with who is inside (entry and exit counted). */
  entryExit?: boolean;
  roster: Entry[];
  queue: QueuedScan[];
  conflicts: Conflict[];
}

const DB = "forum-desk";
const STORE = "kv";

function idb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

function request<T>(db: IDBDatabase, mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = run(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result as T);
    tx.onerror = () => reject(tx.error);
  });
}

async function keyOf(db: IDBDatabase): Promise<CryptoKey> {
  const kept = await request<CryptoKey | undefined>(db, "readonly", (s) => s.get("key"));
  if (kept) return kept;
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  await request(db, "readwrite", (s) => s.put(key, "key"));
  return key;
}

/** The state kept on this device, if any and still of today; undefined after erasing a stale one. */
export async function loadState(now = Date.now()): Promise<DeskState | undefined> {
  try {
    const db = await idb();
    const sealed = await request<{ iv: Uint8Array; data: ArrayBuffer } | undefined>(db, "readonly", (s) => s.get("state"));
    if (!sealed) return undefined;
    const key = await keyOf(db);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv as BufferSource }, key, sealed.data);
    const state = JSON.parse(new TextDecoder().decode(plain)) as DeskState;
    if (now >= state.expires) {
      await eraseAll();
      return undefined;
    }
    return state;
  } catch {
    return undefined;
  }
}

/** Keeps `state` encrypted on this device. */
export async function saveState(state: DeskState): Promise<void> {
  const db = await idb();
  const key = await keyOf(db);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(JSON.stringify(state)));
  await request(db, "readwrite", (s) => s.put({ iv, data }, "state"));
}

/** Erases everything the desk keeps on this device: the state, its key and the kept page. */
export async function eraseAll(): Promise<void> {
  await new Promise<void>((resolve) => {
    const del = indexedDB.deleteDatabase(DB);
    del.onsuccess = del.onerror = del.onblocked = () => resolve();
  });
  if ("caches" in globalThis) await caches.delete("forum-desk-v1").catch(() => false);
}

/** SHA-256 of a ticket secret, hex: what the roster keeps instead of the ticket. */
export async function hashOf(code: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
