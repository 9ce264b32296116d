// This browser's device: the client core (kontor-client compiled to wasm32) with its host —
// `fetch` to the server and IndexedDB for its state. Every method only converts: the core
// decides, this file parses its JSON answers into the generated types.
import init, { Device as Core, markdown as parseMarkdown, mayWrite as coreMayWrite } from "../wasm/kontor.js";
import type { WasmHost } from "../wasm/kontor.js";
import type { Block } from "../gen/Block";
import type { ErrorCode } from "../gen/ErrorCode";
import type { ErrorKind } from "../gen/ErrorKind";
import type { ConversationView } from "../gen/ConversationView";
import type { MessageView } from "../gen/MessageView";
import type { SearchResults } from "../gen/SearchResults";
import type { TimelinePage } from "../gen/TimelinePage";
import type { UpdateView } from "../gen/UpdateView";
import type { ConversationKind } from "../gen/ConversationKind";
import type { ConversationRole } from "../gen/ConversationRole";
import { rawRequest } from "./api";
import { kvCommit, kvEntries } from "./db";

/** Who a device is. */
export interface DeviceInfo {
  org: string;
  user: string;
  device: string;
  linked: boolean;
  has_identity: boolean;
  /** The server handed out another identity for this person than the device holds. */
  identity_conflict: boolean;
}

/** A link request of another device of this person. */
export interface LinkRequestView {
  id: string;
  device_id: string;
  created_at: string;
}

/** What the core throws: `kind` says what failed; `code` is the API's error code. */
export interface KontorError extends Error {
  kind: ErrorKind;
  code?: ErrorCode;
  /** Decided by the core: the message that failed waits in the outbox and goes out by itself. */
  kept?: boolean;
}

export function isKontorError(e: unknown): e is KontorError {
  return e instanceof Error && e.name === "KontorError";
}

const host: WasmHost = {
  request: rawRequest,
  commit: kvCommit,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
  // Reports carry ids, never content.
  report: (note) => console.warn("kontor:", note),
};

let ready: Promise<unknown> | null = null;

/** Starts loading the wasm core (early: it is the largest download). */
export function loadCore(): Promise<unknown> {
  ready ??= init();
  return ready;
}

const json = <T>(v: unknown): T => JSON.parse(v as string) as T;

export class Device {
  private constructor(private readonly core: Core) {}

  /** What this person writes goes to the core one after another, in the order written. The
   * core takes concurrent calls through a lock that does not wake its waiters in the order
   * they came, so two messages sent in quick succession could otherwise be sent, and shown
   * to everybody, the other way round. */
  private written: Promise<unknown> = Promise.resolve();
  private inOrder<T>(f: () => Promise<T>): Promise<T> {
    const next = this.written.then(f);
    this.written = next.catch(() => undefined);
    return next;
  }

  /** Opens the device from IndexedDB (a new device is set up on the server). */
  static async open(): Promise<Device> {
    await loadCore();
    const entries = await kvEntries();
    return new Device(await Core.open(host, entries));
  }

  info = async () => json<DeviceInfo>(await this.core.info());
  recoveryKey = async () => (await this.core.recovery_key()) as string | null;
  recoveryKeyKept = async () => {
    await this.core.recovery_key_kept();
  };
  conversations = async () => json<ConversationView[]>(await this.core.conversations());
  conversation = async (id: string) =>
    json<ConversationView | null>(await this.core.conversation(id));
  timeline = async (id: string, before: number | undefined, limit: number) =>
    json<TimelinePage>(await this.core.timeline(id, before, limit));
  message = async (id: string, seq: number) =>
    json<MessageView | null>(await this.core.message(id, seq));
  /** Searches the decrypted history on this device: one conversation, or all (no id). */
  search = async (query: string, conversation: string | undefined, limit: number) =>
    json<SearchResults>(await this.core.search(query, conversation, limit));
  groupMembers = async (id: string) =>
    json<Record<string, string[]>>(await this.core.group_members(id));
  sync = async () => json<UpdateView[]>(await this.core.sync());
  onFrame = async (frame: string) => json<UpdateView[]>(await this.core.on_frame(frame));
  sendText = (id: string, text: string, replyTo?: string) =>
    this.inOrder(async () => (await this.core.send_text(id, text, replyTo)) as number);
  sendPoll = (id: string, question: string, options: string[], multiple: boolean, anonymous: boolean, closesMs: number | null) =>
    this.inOrder(async () =>
      (await this.core.send_poll(id, question, JSON.stringify(options), multiple, anonymous, closesMs ?? 0)) as number,
    );
  vote = (id: string, poll: string, choices: number[]) =>
    this.inOrder(async () => (await this.core.vote(id, poll, JSON.stringify(choices))) as number);
  pin = (id: string, target: string, unpin: boolean) =>
    this.inOrder(async () => (await this.core.pin(id, target, unpin)) as number);
  forward = (from: string, message: string, to: string) =>
    this.inOrder(async () => (await this.core.forward(from, message, to)) as number);
  react = (id: string, target: string, emoji: string, remove: boolean) =>
    this.inOrder(async () => (await this.core.react(id, target, emoji, remove)) as number);
  edit = (id: string, target: string, text: string) =>
    this.inOrder(async () => (await this.core.edit(id, target, text)) as number);
  delete = (id: string, target: string) =>
    this.inOrder(async () => (await this.core.delete(id, target)) as number);
  rename = async (id: string, name: string) => (await this.core.rename(id, name)) as number;
  create = async (kind: ConversationKind, name: string | null, people: string[]) =>
    (await this.core.create(kind, name, people)) as string;
  addPeople = async (id: string, people: string[]) =>
    json<UpdateView[]>(await this.core.add_people(id, people));
  removePeople = async (id: string, people: string[]) =>
    json<UpdateView[]>(await this.core.remove_people(id, people));
  flush = async () => json<UpdateView[]>(await this.core.flush());
  tryAgain = async (id: string) => {
    await this.core.try_again(id);
  };
  leave = async (id: string) => {
    await this.core.leave(id);
  };
  setRole = async (id: string, user: string, role: ConversationRole) => {
    await this.core.set_role(id, user, role);
  };
  markRead = async (id: string, seq: number) => {
    await this.core.mark_read(id, seq);
  };
  safetyNumber = async (user: string) => (await this.core.safety_number(user)) as string;
  dropDevice = async (device: string) => (await this.core.drop_device(device)) as boolean;
  requestLink = async () =>
    json<{ request_id: string; code: string }>(await this.core.request_link());
  pollLink = async () => (await this.core.poll_link()) as boolean;
  linkRequests = async () => json<LinkRequestView[]>(await this.core.link_requests());
  approve = async (requestId: string, code: string) => {
    await this.core.approve(requestId, code);
  };
  linkWithRecoveryKey = async (key: string) =>
    json<UpdateView[]>(await this.core.link_with_recovery_key(key));
}

/** The markdown subset parsed as the core does (for previews). */
export function markdown(text: string): Block[] {
  return json<Block[]>(parseMarkdown(text));
}

/** Whether the person may write in the conversation now: the core's rule, from its view and
 * the person's role as the server lists it (the server decides again on every message). */
export function mayWrite(view: ConversationView | undefined, role: ConversationRole | undefined): boolean {
  return !!view && coreMayWrite(view.removed, view.stopped !== null, view.rejoining, role);
}
