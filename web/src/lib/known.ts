// The credentials of the devices this browser logged in with (a "device cookie" per account),
// in an IndexedDB database of their own so that logging out, which deletes the device, keeps
// them: at the next login they show the server that this browser has been here before, and
// the right password then gets through even while someone else's wrong guesses have the
// address or the account limited. Without the password they open nothing, and revoking the
// device ends its credential on the server.
import type { KnownDevice } from "../gen/KnownDevice";
import type { SessionCreated } from "../gen/SessionCreated";

const NAME = "kontor-logins";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(NAME, 1);
    r.onupgradeneeded = () => r.result.createObjectStore("known");
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function account(org: string, email: string): string {
  return `${org.trim().toLowerCase()} ${email.trim().toLowerCase()}`;
}

/** The credential this browser keeps for the account, if any. */
export async function knownDevice(org: string, email: string): Promise<KnownDevice | null> {
  try {
    const d = await open();
    const v = await new Promise<unknown>((resolve, reject) => {
      const r = d.transaction("known").objectStore("known").get(account(org, email));
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    d.close();
    return (v as KnownDevice | undefined) ?? null;
  } catch {
    return null;
  }
}

/** Keeps the credential of the device a login, invitation or setup made. */
export async function rememberDevice(created: SessionCreated): Promise<void> {
  try {
    const d = await open();
    const tx = d.transaction("known", "readwrite");
    const known: KnownDevice = { device_id: created.device.id, secret: created.device_secret };
    tx.objectStore("known").put(known, account(created.org.slug, created.person.email));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    d.close();
  } catch {
    // Without it the next login is judged like any new device's: nothing breaks.
  }
}
