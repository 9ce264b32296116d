// How conversations and people are named in the UI.
import { nameOf } from "../lib/people";
import { me, serverConversations } from "../lib/state";
import { t, tn } from "../lib/i18n";
import type { ConversationKind } from "../gen/ConversationKind";
import type { ConversationView } from "../gen/ConversationView";
import type { MessageView } from "../gen/MessageView";
import type { SystemNote } from "../gen/SystemNote";

/** A conversation's name: the members' choice, or the other person in a direct chat. */
export function conversationName(
  c: Pick<ConversationView, "id" | "kind" | "name"> & { members?: ConversationView["members"] },
): string {
  if (c.name) return c.name;
  const mine = me.value?.person.id;
  // Who is in the encrypted group, as this device sees it; the server's list only when the
  // group is not known here (left, or not joined yet).
  const group = (c.members ?? []).map((m) => m.person).filter((u) => u !== mine);
  const server = (serverConversations.value[c.id]?.members ?? [])
    .map((m) => m.person_id)
    .filter((u) => u !== mine);
  const others = group.length > 0 ? group : server;
  if (others.length > 0) {
    return others
      .slice(0, 3)
      .map((u) => nameOf(u, t("person.unknown")))
      .join(", ");
  }
  return c.kind === "channel" ? t("kind.channel") : c.kind === "group" ? t("kind.group") : t("kind.direct");
}

/** Whose colour and initials a conversation's avatar has: in a direct chat the other
 * person's, so that person looks the same on every screen; else the conversation's own. */
export function avatarId(
  c: Pick<ConversationView, "id" | "kind"> & { members?: ConversationView["members"] },
): string {
  if (c.kind !== "direct") return c.id;
  const mine = me.value?.person.id;
  const other =
    (c.members ?? []).map((m) => m.person).find((u) => u !== mine) ??
    serverConversations.value[c.id]?.members.map((m) => m.person_id).find((u) => u !== mine);
  return other ?? c.id;
}

export function personName(id: string | null | undefined): string {
  if (id && id === me.value?.person.id) return t("person.you");
  return nameOf(id, t("person.unknown"));
}

/** A system note in words; `kind` names what was created ("created the group …"). */
export function systemText(note: SystemNote, kind?: ConversationKind): string {
  switch (note.type) {
    case "renamed":
      if (!note.created) return t("system.renamed", { name: note.name });
      return kind === "channel" ? t("system.createdChannel", { name: note.name }) : t("system.created", { name: note.name });
    case "added":
      return t("system.added", { names: note.users.map((u) => personName(u)).join(", ") });
    case "removed": {
      const names = note.users.map((u) => personName(u)).join(", ");
      return note.lost_access ? tn("system.lostAccess", note.users.length, { names }) : t("system.removed", { names });
    }
    case "state":
      return "";
  }
}

/** A message's text as read, without the marks of the markdown subset, mentions as
 * `@Name` (for previews and quotes, which show no formatting). */
export function plainText(text: string): string {
  return text.replace(/@\[([^\]]*)\]\([^)]*\)/g, "@$1").replace(/[*_~`>]/g, "");
}

/** One line about a message, for the conversation list. */
export function preview(m: MessageView | null, kind?: ConversationKind): string {
  if (!m) return t("list.noMessages");
  if (m.deleted) return t("message.deleted");
  switch (m.body.type) {
    case "text":
      return plainText(m.body.text);
    case "system":
      return systemText(m.body.note, kind);
    case "poll":
      return `📊 ${m.body.question}`;
    case "unknown":
      return t("message.unknown", { kind: m.body.kind });
  }
}
