// What the app shows, as signals: the session, the person, their conversations and the
// people they see. Components read these; the functions in session.ts and live.ts write them.
import { ADMIN_ROLES } from "../gen/roles";
import { signal } from "@preact/signals";
import type { Account } from "./db";
import type { Device, DeviceInfo } from "./device";
import type { EndReason } from "./live";
import type { Me } from "../gen/Me";
import type { Org } from "../gen/Org";
import type { Person } from "../gen/Person";
import type { Branding } from "../gen/Branding";
import type { Conversation } from "../gen/Conversation";
import type { ConversationView } from "../gen/ConversationView";

export type Phase =
  /** Starting: reading the device from IndexedDB. */
  | "loading"
  /** No organisation exists: first start. */
  | "setup"
  /** Not logged in. */
  | "login"
  /** Logged in; the device waits to be linked to the person's identity. */
  | "link"
  /** Ready. */
  | "ready"
  /** The session ended (logout elsewhere, suspension, deprovisioning). */
  | "ended"
  /** The server cannot be reached and this device has nothing to start from. */
  | "unreachable";

export const phase = signal<Phase>("loading");
export const endedBecause = signal<EndReason>("session");
export const account = signal<Account | null>(null);
export const me = signal<Me | null>(null);
export const info = signal<DeviceInfo | null>(null);
export const branding = signal<Branding | null>(null);
/** Bumped when the organisation's logo may have changed (the image is cached for minutes). */
export const logoVersion = signal(0);
/** The recovery key made on this device, shown once. */
export const recoveryKey = signal<string | null>(null);

/** Conversations as this device knows them, newest activity first. */
export const conversations = signal<ConversationView[]>([]);
/** The server's view of each conversation: members and roles. */
export const serverConversations = signal<Record<string, Conversation>>({});
/** People this person has seen, by id. */
export const people = signal<Record<string, Person>>({});

export type Connection = "connecting" | "online" | "offline";
export const connection = signal<Connection>("connecting");

/** Bumped when a conversation's timeline changed: `{ id, n, changed }`, where `changed` are
 * the sequence numbers of messages that were edited, deleted or reacted to. */
export const timelineChanged = signal<{ id: string; n: number; changed: number[] }>({
  id: "",
  n: 0,
  changed: [],
});
/** The person whose profile card is open (their id), over whatever screen is shown. */
export const shownPerson = signal<string | null>(null);

/** Bumped when teams or people changed (admin views refetch). */
export const directoryChanged = signal(0);
/** Counts the link requests announced to this device, and how many of them the person saw
 * (on the devices page). */
export const linkRequested = signal(0);
export const linkSeen = signal(0);

export interface Toast {
  id: number;
  text: string;
  kind: "info" | "error";
}
export const toasts = signal<Toast[]>([]);
let toastId = 0;

export function toast(text: string, kind: Toast["kind"] = "info"): void {
  const t = { id: ++toastId, text, kind };
  toasts.value = [...toasts.value, t];
  setTimeout(() => {
    toasts.value = toasts.value.filter((x) => x.id !== t.id);
  }, kind === "error" ? 8000 : 4000);
}

let current: Device | null = null;

/** The open device (throws when there is none: only used once ready). */
export function device(): Device {
  if (!current) throw new Error("no device");
  return current;
}

export function setDevice(d: Device | null): void {
  current = d;
}

export function org(): Org | null {
  return me.value?.org ?? null;
}

export function isAdmin(): boolean {
  const r = me.value?.person.role;
  return !!r && ADMIN_ROLES.includes(r);
}
