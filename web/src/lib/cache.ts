// Names and members as last seen, kept on the device: painted at once on the next start, and
// all there is when offline. Its own module so that people.ts and session.ts both use it
// without importing each other.
import { loadCache, saveCache } from "./db";
import { account, people, serverConversations } from "./state";

/** The cache's key: a new one when what it holds changes shape (v2: members by `person_id`),
 * so that an older copy is never read as the new. */
const KEY = "directory-v2";

interface Cache {
  people: typeof people.value;
  conversations: typeof serverConversations.value;
}

/** Names and members as last seen: painted at once, and all there is when offline. */
export async function restoreCache(): Promise<void> {
  const c = await loadCache<Cache>(KEY).catch(() => null);
  if (!c) return;
  people.value = { ...c.people, ...people.value };
  serverConversations.value = { ...c.conversations, ...serverConversations.value };
}

let cacheTimer: ReturnType<typeof setTimeout> | null = null;

/** Keeps names and members for the next start (soon, not on every change). */
export function keepCache(): void {
  if (cacheTimer) return;
  cacheTimer = setTimeout(() => {
    cacheTimer = null;
    if (!account.value) return;
    void saveCache(KEY, {
      people: people.value,
      conversations: serverConversations.value,
    } satisfies Cache).catch(() => undefined);
  }, 1000);
}
