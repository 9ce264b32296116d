// A direct chat with one person: the one this device already has with them, or a new one.
// Every place that offers "message this person" (the new-chat screen, a profile card) goes
// through `openDirect`, so that one tap opens the same chat from anywhere, and a second tap
// while the first is still making keys does not start a second chat.
import { navigate } from "./router";
import { refreshConversations } from "./session";
import { conversations, device, serverConversations } from "./state";

/** The direct chat with this person that exists already (both still in it). */
export function existingDirect(person: string): string | null {
  for (const c of conversations.value) {
    if (c.kind !== "direct" || c.removed) continue;
    const members = serverConversations.value[c.id]?.members ?? [];
    if (members.length === 2 && members.some((m) => m.person_id === person)) return c.id;
  }
  return null;
}

const starting = new Map<string, Promise<string>>();

/** Opens the direct chat with `person`, starting it first if there is none; resolves to its id
 * once it is open. */
export async function openDirect(person: string): Promise<string> {
  const existing = existingDirect(person);
  if (existing) {
    navigate(`/c/${existing}`);
    return existing;
  }
  let pending = starting.get(person);
  if (!pending) {
    pending = (async () => {
      const id = await device().create("direct", null, [person]);
      await refreshConversations(true);
      return id;
    })().finally(() => starting.delete(person));
    starting.set(person, pending);
  }
  const id = await pending;
  navigate(`/c/${id}`, true);
  return id;
}
