// What this person arranged on this device: conversations pinned to the top of the list and
// conversations archived out of it. Kept in the browser's IndexedDB with the rest of the
// cache (deleted at logout), not on the server: the server learns nothing from it.
import { signal } from "@preact/signals";
import { loadCache, saveCache } from "./db";

const KEY = "list-prefs";

interface Prefs {
  pinned: string[];
  archived: string[];
}

export const listPrefs = signal<Prefs>({ pinned: [], archived: [] });
let loaded = false;

export async function loadListPrefs(): Promise<void> {
  if (loaded) return;
  loaded = true;
  const kept = await loadCache<Prefs>(KEY).catch(() => null);
  if (kept) listPrefs.value = { pinned: kept.pinned ?? [], archived: kept.archived ?? [] };
}

function toggle(list: string[], id: string, on: boolean): string[] {
  const rest = list.filter((x) => x !== id);
  return on ? [id, ...rest] : rest;
}

/** Pins a conversation to the top of the list (pinned ones are never archived). */
export function setPinned(id: string, on: boolean): void {
  const p = listPrefs.value;
  listPrefs.value = { pinned: toggle(p.pinned, id, on), archived: on ? toggle(p.archived, id, false) : p.archived };
  void saveCache(KEY, listPrefs.value);
}

/** Moves a conversation out of the list into the archive, or back. */
export function setArchived(id: string, on: boolean): void {
  const p = listPrefs.value;
  listPrefs.value = { archived: toggle(p.archived, id, on), pinned: on ? toggle(p.pinned, id, false) : p.pinned };
  void saveCache(KEY, listPrefs.value);
}

/** At the session's end: nothing of this person's arrangement stays in memory. */
export function forgetListPrefs(): void {
  loaded = false;
  listPrefs.value = { pinned: [], archived: [] };
}
