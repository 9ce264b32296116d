// Colleagues this person verified on this device: the safety number they compared, kept in
// IndexedDB with the rest of the cache (deleted at logout). Shown as "verified" while the
// number is the same; if it changes (a new identity key), the app warns instead.
import { signal } from "@preact/signals";
import { loadCache, saveCache } from "./db";

const KEY = "verified-people";

/** Person → the safety number compared with them. */
export const verifiedPeople = signal<Record<string, string>>({});
let loaded = false;

export async function loadVerified(): Promise<void> {
  if (loaded) return;
  loaded = true;
  verifiedPeople.value = (await loadCache<Record<string, string>>(KEY).catch(() => null)) ?? {};
}

export function setVerified(person: string, number: string | null): void {
  const next = { ...verifiedPeople.value };
  if (number) next[person] = number;
  else delete next[person];
  verifiedPeople.value = next;
  void saveCache(KEY, next);
}

export function forgetVerified(): void {
  loaded = false;
  verifiedPeople.value = {};
}
