// Where this browser keeps its device: one IndexedDB database with the session (`account`)
// and the client core's key-value entries (`kv`: keys, MLS state, history). Nothing secret
// goes to localStorage. Each commit of the core is one transaction with strict durability:
// written before anything is sent.
import type { OrgId } from "../gen/OrgId";
import type { PersonId } from "../gen/PersonId";
import type { DeviceId } from "../gen/DeviceId";
import type { Me } from "../gen/Me";

const NAME = "kontor";
const VERSION = 2;

/** The session of this browser. */
export interface Account {
  token: string;
  org_id: OrgId;
  org_slug: string;
  user_id: PersonId;
  device_id: DeviceId;
  email: string;
  /** Who the person is, as last fetched: the app starts with it when offline. */
  me?: Me;
}

let db: Promise<IDBDatabase> | null = null;
/** Set while a wipe runs: nothing may be written any more (a late commit of the core would
 * otherwise bring keys or messages back). */
let wiping = false;

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function open(): Promise<IDBDatabase> {
  if (!db) {
    db = new Promise((resolve, reject) => {
      const r = indexedDB.open(NAME, VERSION);
      r.onupgradeneeded = () => {
        const d = r.result;
        if (!d.objectStoreNames.contains("kv")) d.createObjectStore("kv");
        if (!d.objectStoreNames.contains("account")) d.createObjectStore("account");
        if (!d.objectStoreNames.contains("cache")) d.createObjectStore("cache");
      };
      r.onsuccess = () => {
        const d = r.result;
        // Another tab deletes or upgrades the database: let it.
        d.onversionchange = () => {
          d.close();
          db = null;
        };
        resolve(d);
      };
      r.onerror = () => reject(r.error);
      r.onblocked = () => reject(new Error("database blocked"));
    });
  }
  return db;
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("aborted"));
  });
}

export async function loadAccount(): Promise<Account | null> {
  const d = await open();
  const a = await request(d.transaction("account").objectStore("account").get("session"));
  return (a as Account | undefined) ?? null;
}

function writable(): void {
  if (wiping) throw new Error("the device is being deleted");
}

export async function saveAccount(a: Account): Promise<void> {
  writable();
  const d = await open();
  const tx = d.transaction("account", "readwrite", { durability: "strict" });
  tx.objectStore("account").put(a, "session");
  await done(tx);
}

/** What the app showed last (names of people, members of conversations: directory data, no
 * message content), to paint at once and to work offline. */
export async function loadCache<T>(key: string): Promise<T | null> {
  const d = await open();
  const v = await request(d.transaction("cache").objectStore("cache").get(key));
  return (v as T | undefined) ?? null;
}

export async function saveCache(key: string, value: unknown): Promise<void> {
  writable();
  const d = await open();
  const tx = d.transaction("cache", "readwrite");
  tx.objectStore("cache").put(value, key);
  await done(tx);
}

/** Every entry of the core, as `[key, value]`. */
export async function kvEntries(): Promise<Array<[string, Uint8Array]>> {
  const d = await open();
  const store = d.transaction("kv").objectStore("kv");
  const [keys, values] = await Promise.all([
    request(store.getAllKeys()),
    request(store.getAll()),
  ]);
  return keys.map((k, i) => [String(k), values[i] as Uint8Array]);
}

/** Applies the core's changes in one transaction: all or nothing. */
export async function kvCommit(changes: Array<[string, Uint8Array | null]>): Promise<void> {
  if (changes.length === 0) return;
  writable();
  const d = await open();
  const tx = d.transaction("kv", "readwrite", { durability: "strict" });
  const store = tx.objectStore("kv");
  for (const [k, v] of changes) {
    if (v === null) store.delete(k);
    else store.put(v, k);
  }
  await done(tx);
}

/** Deletes everything of this device: session, keys, history. The stores are emptied first
 * (that works while other tabs hold the database open), then the database is deleted. */
export async function wipe(): Promise<void> {
  wiping = true;
  try {
    const d = await open();
    const tx = d.transaction(["kv", "account", "cache"], "readwrite", { durability: "strict" });
    for (const name of ["kv", "account", "cache"]) tx.objectStore(name).clear();
    await done(tx);
  } catch {
    // Deleted below anyway.
  }
  if (db) {
    (await db).close();
    db = null;
  }
  await new Promise<void>((resolve) => {
    const r = indexedDB.deleteDatabase(NAME);
    r.onsuccess = () => resolve();
    r.onerror = () => resolve();
    r.onblocked = () => resolve();
  });
  wiping = false;
}

/** Forgets the core's entries (a new login is a new device: nothing of another may stay). */
export async function clearDevice(): Promise<void> {
  writable();
  const d = await open();
  const tx = d.transaction(["kv", "cache"], "readwrite", { durability: "strict" });
  tx.objectStore("kv").clear();
  tx.objectStore("cache").clear();
  await done(tx);
}
