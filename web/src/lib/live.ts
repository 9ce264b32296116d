// The live connection: one WebSocket to the server. Messages, Welcomes and changed
// conversations go to the core; organisation events update what the app shows. When the
// connection drops the app keeps working from the device and reconnects (at once when the
// browser is back online), then catches up from where it was: nothing is lost, and since
// every message has its sequence number, nothing is shown twice.
//
// What it needs of the session (applying updates, refreshing the list, ending the session)
// is handed in by `connect`: session.ts imports this module, never the other way round.
import { getMe } from "./endpoints";
import { remember } from "./people";
import {
  account,
  connection,
  conversations,
  device,
  directoryChanged,
  linkRequested,
  info,
  logoVersion,
  me,
  toast,
} from "./state";
import { applyBranding } from "./theme";
import type { ServerFrame } from "../gen/ServerFrame";
import type { Event } from "../gen/Event";
import type { UpdateView } from "../gen/UpdateView";
import { t } from "./i18n";
import { CloseCode } from "../gen/CloseCode";


let socket: WebSocket | null = null;
let lastSeq: number | null = null;
let retry = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let wanted = false;
/** Closed for too many windows: reconnects only when the person comes back to this one, so
 * that two windows never take turns closing each other. */
let paused = false;
/** Frames are handled one after another, in the order they came. */
let queue: Promise<void> = Promise.resolve();

/** Why the server ended the session, as far as this device knows. */
export type EndReason = "session" | "suspended" | "deprovisioned" | "revoked" | "guests";

/** What the live connection asks of the session (lib/session.ts hands it in). */
export interface LiveHost {
  applyUpdates(updates: UpdateView[]): Promise<void>;
  refreshConversations(withServer?: boolean): Promise<void>;
  endSession(why: EndReason): Promise<void>;
}
let host: LiveHost | null = null;
const applyUpdates = (u: UpdateView[]) => host?.applyUpdates(u) ?? Promise.resolve();
const refreshConversations = (withServer?: boolean) => host?.refreshConversations(withServer) ?? Promise.resolve();
const endSession = (why: EndReason) => host?.endSession(why) ?? Promise.resolve();

export function connect(session: LiveHost): void {
  host = session;
  wanted = true;
  open();
}

export function disconnect(): void {
  wanted = false;
  if (timer) clearTimeout(timer);
  timer = null;
  const s = socket;
  socket = null;
  s?.close(1000);
  connection.value = "offline";
  lastSeq = null;
}

function open(): void {
  if (!wanted || socket) return;
  const a = account.value;
  if (!a) return;
  // After a failed attempt the app stays "offline" until one succeeds.
  if (connection.value !== "offline" && navigator.onLine) connection.value = "connecting";
  else connection.value = "offline";
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api/v1/events`);
  socket = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: "auth", token: a.token, after: lastSeq }));
  };
  ws.onmessage = (m) => {
    const text = String(m.data);
    queue = queue.then(() => handle(text)).catch((e) => console.warn("kontor: frame", e));
  };
  ws.onclose = (c) => {
    if (socket === ws) socket = null;
    if (!wanted) return;
    // UNAUTHENTICATED: the session is gone (ended while this device was away).
    if (c.code === CloseCode.SESSION_ENDED || c.code === CloseCode.UNAUTHENTICATED) {
      void endSession(endReason());
      return;
    }
    // The server says why: the person was suspended, or their organisation ended their access.
    if (c.code === CloseCode.SUSPENDED || c.code === CloseCode.ACCESS_ENDED) {
      void endSession(c.code === CloseCode.ACCESS_ENDED ? "deprovisioned" : "suspended");
      return;
    }
    connection.value = "offline";
    // Too many windows of this device or person: this one was closed as the oldest.
    if (c.code === CloseCode.TOO_MANY_CONNECTIONS) {
      paused = true;
      return;
    }
    schedule(c.code === CloseCode.RECONNECT ? 0 : undefined);
  };
}

function resume(): void {
  if (!paused || document.visibilityState !== "visible") return;
  paused = false;
  if (wanted && !socket) schedule(0);
}
addEventListener("focus", resume);
document.addEventListener("visibilitychange", resume);

let reason: EndReason = "session";
function endReason() {
  return reason;
}

function schedule(delay?: number): void {
  if (timer) clearTimeout(timer);
  const steps = [500, 1000, 2000, 5000, 10000];
  const ms = delay ?? steps[Math.min(retry, steps.length - 1)];
  retry++;
  timer = setTimeout(() => {
    timer = null;
    open();
  }, ms);
}

addEventListener("online", () => {
  if (wanted && !socket && !paused) schedule(0);
});

async function handle(text: string): Promise<void> {
  let frame: ServerFrame;
  try {
    frame = JSON.parse(text) as ServerFrame;
  } catch {
    return;
  }
  switch (frame.type) {
    case "ready":
      retry = 0;
      lastSeq = lastSeq ?? frame.last_seq;
      connection.value = "online";
      // Send what waited, then catch up on everything since the last connection.
      await applyUpdates(await device().onFrame(text));
      await refreshConversations(true);
      keepFlushing();
      return;
    case "event":
      lastSeq = Math.max(lastSeq ?? 0, frame.event.seq);
      await onEvent(frame.event);
      return;
    case "resync_required":
      lastSeq = frame.oldest_seq;
      directoryChanged.value++;
      await refreshMe();
      return;
    default:
      await applyUpdates(await device().onFrame(text));
  }
}

let flushTimer: ReturnType<typeof setTimeout> | null = null;
let flushTry = 0;

/** While messages wait in the outbox and the connection is up, they are sent again, sooner
 * at first, then every half minute: a message the server could not take a moment ago goes
 * out without a reload. */
export function keepFlushing(): void {
  if (flushTimer || connection.value !== "online") return;
  if (!conversations.value.some((c) => c.queued > 0)) {
    flushTry = 0;
    return;
  }
  const steps = [1000, 2000, 5000, 10000, 30000];
  const ms = steps[Math.min(flushTry++, steps.length - 1)];
  flushTimer = setTimeout(() => {
    flushTimer = null;
    queue = queue
      .then(async () => {
        await applyUpdates(await device().flush());
        await refreshConversations();
      })
      .catch((e) => console.warn("kontor: flush", e))
      .then(keepFlushing);
  }, ms);
}

async function refreshMe(): Promise<void> {
  try {
    me.value = await getMe();
    applyBranding(me.value.org);
  } catch {
    // The next event or reconnect tries again.
  }
}

async function onEvent(e: Event): Promise<void> {
  const who = me.value;
  switch (e.type) {
    case "person_changed":
      remember([e.person]);
      if (who && e.person.id === who.person.id) {
        me.value = { ...who, person: e.person };
      }
      directoryChanged.value++;
      return;
    case "team_changed":
    case "team_deleted":
      directoryChanged.value++;
      return;
    case "policies_changed":
      if (who) me.value = { ...who, policies: e.policies };
      return;
    case "org_changed":
      if (who) me.value = { ...who, org: e.org };
      logoVersion.value++;
      applyBranding(e.org);
      return;
    case "link_requested":
      // Only a device that holds the identity key can approve: the others need not ask.
      if (info.value?.has_identity && e.device_id !== info.value.device) linkRequested.value++;
      return;
    case "account_status_changed":
      if (e.status !== "active") {
        reason = e.status === "deprovisioned" ? "deprovisioned" : "suspended";
      }
      return;
    case "device_revoked":
      if (e.device_id === info.value?.device) {
        reason = "revoked";
      } else {
        // Another of this person's devices is gone: drop it from the signed list.
        try {
          await device().dropDevice(e.device_id);
        } catch {
          // Only devices that hold the identity key can.
        }
        toast(t("devices.revokedElsewhere"));
      }
      return;
    case "session_ended":
      return;
  }
}
