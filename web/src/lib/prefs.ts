// Conversations pinned to the top of the list and conversations archived out of it: this
// device's own arrangement, unknown to the server (lib/kept.ts).
import { kept } from "./kept";

interface Prefs {
  pinned: string[];
  archived: string[];
}

const prefs = kept<Prefs>(
  "list-prefs",
  () => ({ pinned: [], archived: [] }),
  (p) => ({ pinned: p.pinned ?? [], archived: p.archived ?? [] }),
);
export const listPrefs = prefs.value;
export const loadListPrefs = prefs.load;

function toggle(list: string[], id: string, on: boolean): string[] {
  const rest = list.filter((x) => x !== id);
  return on ? [id, ...rest] : rest;
}

/** Pins a conversation to the top of the list (pinned ones are never archived). */
export function setPinned(id: string, on: boolean): void {
  const p = listPrefs.value;
  prefs.set({ pinned: toggle(p.pinned, id, on), archived: on ? toggle(p.archived, id, false) : p.archived });
}

/** Moves a conversation out of the list into the archive, or back. */
export function setArchived(id: string, on: boolean): void {
  const p = listPrefs.value;
  prefs.set({ archived: toggle(p.archived, id, on), pinned: on ? toggle(p.pinned, id, false) : p.pinned });
}
