// The people this person sees: fetched once from the directory, then by id when someone new
// turns up (a sender, a member), kept fresh by `person_changed` events.
import { getPerson, searchDirectory } from "./endpoints";
import { people } from "./state";
import { keepCache } from "./cache";
import type { Person } from "../gen/Person";

const pending = new Map<string, Promise<void>>();

export function remember(list: Person[]): void {
  if (list.length === 0) return;
  const next = { ...people.value };
  for (const p of list) next[p.id] = p;
  people.value = next;
  keepCache();
}

/** Loads the first page of the directory (the people most likely to be shown). */
export async function primePeople(): Promise<void> {
  const page = await searchDirectory({ limit: 200 });
  remember(page.people);
}

/** Makes sure these people are known (those the caller may not see stay unknown). */
export async function ensurePeople(ids: Iterable<string>): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !people.value[id] && !pending.has(id));
  await Promise.all(
    missing.map((id) => {
      const p = getPerson(id)
        .then((person) => remember([person]))
        .catch(() => undefined)
        .finally(() => pending.delete(id));
      pending.set(id, p);
      return p;
    }),
  );
}

/** A person's name, or a placeholder while it loads. */
export function nameOf(id: string | null | undefined, unknown: string): string {
  if (!id) return unknown;
  return people.value[id]?.display_name ?? unknown;
}
