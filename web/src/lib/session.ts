// The life of this browser's session: start (read the device from IndexedDB, paint the
// conversation list, then connect and catch up), log in, set up, end.
import { api, ApiError, setToken, whenSessionEnds } from "./api";
import {
  clearDevice,
  saveAccount,
  loadAccount,
  wipe,
  type Account,
} from "./db";
import { Device, loadCore } from "./device";
import { createSession, type SessionStart } from "./endpoints";
import { knownDevice, rememberDevice } from "./known";
import { connect, disconnect, type EndReason, type LiveHost } from "./live";
import { forgetKept } from "./kept";
import { keepCache, restoreCache } from "./cache";
import { ensurePeople, primePeople } from "./people";
import {
  account,
  branding,
  conversations,
  endedBecause,
  info,
  me,
  phase,
  recoveryKey,
  serverConversations,
  setDevice,
  device,
  timelineChanged,
  people,
} from "./state";
import { applyBranding } from "./theme";
import { navigate, route } from "./router";
import type { Me } from "../gen/Me";
import type { ServerInfo } from "../gen/ServerInfo";
import type { SessionCreated } from "../gen/SessionCreated";
import type { Branding } from "../gen/Branding";
import type { Conversation as ServerConversation } from "../gen/Conversation";
import type { Conversations } from "../gen/Conversations";
import type { ServerFrame } from "../gen/ServerFrame";
import type { UpdateView } from "../gen/UpdateView";

whenSessionEnds(() => void endSession("session"));

/** The organisation named in `?org=` (links and the installed app carry it). */
function orgHint(): string | null {
  return new URLSearchParams(location.search).get("org");
}

/** Shows an organisation's name and colours before login. */
export async function loadBranding(slug?: string | null): Promise<void> {
  try {
    const q = slug ? `?org=${encodeURIComponent(slug)}` : "";
    branding.value = await api<Branding>("GET", `/branding${q}`);
    applyBranding(branding.value);
  } catch {
    branding.value = null;
  }
}

/** Starts the app: first start, login, linking, or straight to the conversations. */
export async function boot(): Promise<void> {
  void loadCore();
  const [server, saved] = await Promise.all([
    api<ServerInfo>("GET", "/server").catch(() => null),
    loadAccount().catch(() => null),
  ]);
  if (saved) {
    await start(saved);
    return;
  }
  if (server && !server.has_orgs) {
    phase.value = "setup";
    return;
  }
  await loadBranding(orgHint());
  phase.value = "login";
}

/** Logs in, accepts an invitation or sets up (`how`): a new session on a new device. */
export async function signIn(how: SessionStart, body: Record<string, unknown>): Promise<void> {
  const device = { name: deviceName(), platform: "web" };
  const extra: Record<string, unknown> = { device };
  if (how === "login") {
    // A device this browser logged in with before is never locked out by others' guesses.
    extra.known_device = await knownDevice(String(body.org ?? ""), String(body.email ?? ""));
  }
  const created = await createSession(how, { ...body, ...extra });
  await rememberDevice(created);
  await loggedIn(created);
}

/** A name for this browser as a device, e.g. "Chrome on Linux". */
function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} (${os})` : browser;
}

/** After login, accepting an invitation or setting up: keeps the session, opens the device. */
export async function loggedIn(created: SessionCreated): Promise<void> {
  const a: Account = {
    token: created.token,
    org_id: created.org.id,
    org_slug: created.org.slug,
    user_id: created.person.id,
    device_id: created.device.id,
    email: created.person.email,
  };
  // A login is a new device on the server: nothing another one left here may stay.
  await clearDevice();
  await saveAccount(a);
  const r = route.value.page;
  if (r === "join" || r === "setup" || r === "login") navigate("/", true);
  await start(a);
}

async function start(a: Account): Promise<void> {
  account.value = a;
  setToken(a.token);
  let who: Me;
  try {
    who = await api<Me>("GET", "/me");
    await saveAccount({ ...a, me: who });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const why = endReasonOf(e);
    if (e.status === 401 || why) {
      // The session is over; what this browser kept is of no use any more.
      await endSession(why ?? "session");
      return;
    }
    // Offline, or the server has trouble: open what this device has and catch up later.
    if (!a.me) throw e;
    who = a.me;
  }
  me.value = who;
  applyBranding(who.org);
  await restoreCache();
  const d = await Device.open();
  const i = await d.info();
  if (i.user !== a.user_id || i.device !== a.device_id) {
    // The store holds another device than this session's: it must not be shown.
    await endSession("session");
    return;
  }
  setDevice(d);
  info.value = i;
  recoveryKey.value = await d.recoveryKey();
  await refreshConversations();
  phase.value = info.value.linked ? "ready" : "link";
  if (info.value.linked) {
    connect(live);
    void primePeople().catch(() => undefined);
  }
}

/** The device was linked: ready to take part. */
export async function linked(): Promise<void> {
  info.value = await device().info();
  await refreshConversations();
  phase.value = "ready";
  connect(live);
  void primePeople().catch(() => undefined);
}

/** Reads the conversation list from the device, and the server's members when asked. */
export async function refreshConversations(withServer = false): Promise<void> {
  conversations.value = await device().conversations();
  if (withServer || Object.keys(serverConversations.value).length === 0) {
    try {
      const list = await api<Conversations>("GET", "/conversations");
      const next: Record<string, (typeof list.conversations)[number]> = {};
      for (const c of list.conversations) next[c.id] = c;
      serverConversations.value = next;
      await ensurePeople(list.conversations.flatMap((c) => c.members.map((m) => m.person_id)));
      keepCache();
      void noticeRemovals(next);
    } catch {
      // Offline: the device's view is enough to show the list.
    }
  }
}

/** Conversations already looked at by `noticeRemovals` (once each per page load). */
const lookedAt = new Set<string>();

/** The server routes nothing more to a device removed from a conversation, not even the
 * commit that removed it, and lists the conversation no more: so a conversation this device
 * still takes part in but the server does not list is handed to the core as changed. The core
 * asks the server itself and, when refused, forgets the group; the page then says the person
 * is no longer in it instead of offering a composer whose messages are refused. */
async function noticeRemovals(listed: Record<string, ServerConversation>): Promise<void> {
  const gone = conversations.value.filter((c) => !c.removed && !listed[c.id] && !lookedAt.has(c.id));
  for (const c of gone) {
    lookedAt.add(c.id);
    const frame: ServerFrame = { type: "conversation_changed", conversation_id: c.id };
    try {
      await applyUpdates(await device().onFrame(JSON.stringify(frame)));
    } catch {
      // Offline or not linked: the next refresh looks again.
      lookedAt.delete(c.id);
    }
  }
}

let bumps = 0;

/** Redraws what the core's updates touched. */
export async function applyUpdates(updates: UpdateView[]): Promise<void> {
  if (updates.length === 0) return;
  const members = updates.some((u) => u.type === "members" || u.type === "removed");
  await refreshConversations(members);
  for (const id of new Set(updates.map((u) => u.conversation_id))) {
    const changed = updates.flatMap((u) =>
      u.type === "changed" && u.conversation_id === id ? [u.seq] : [],
    );
    timelineChanged.value = { id, n: ++bumps, changed };
  }
}

/** Something was sent or changed in a conversation from this device: redraw it (`changed`:
 * the sequence numbers of messages edited, deleted or reacted to). */
export async function touched(id: string, changed: number[] = []): Promise<void> {
  await refreshConversations();
  timelineChanged.value = { id, n: ++bumps, changed };
}

/** Logs out: ends the session on the server and deletes this device's keys and history. */
export async function logout(): Promise<void> {
  try {
    await api("POST", "/auth/logout");
  } catch {
    // Ended here anyway.
  }
  await endSession("session", false);
  phase.value = "login";
  navigate("/login", true);
}

/** Why a refusal means this person may not use the app any more, if it does. */
function endReasonOf(e: ApiError): EndReason | null {
  switch (e.code) {
    case "account_disabled":
      return "suspended";
    case "access_ended":
      return "deprovisioned";
    case "guest_access_off":
      return "guests";
    default:
      return null;
  }
}

/** The session is over: everything of it on this browser is deleted at once. */
export async function endSession(why: EndReason, show = true): Promise<void> {
  if (phase.value === "ended" && show) return;
  disconnect();
  setToken(null);
  setDevice(null);
  account.value = null;
  me.value = null;
  info.value = null;
  recoveryKey.value = null;
  conversations.value = [];
  serverConversations.value = {};
  people.value = {};
  forgetKept();
  await wipe();
  if (show) {
    endedBecause.value = why;
    phase.value = "ended";
  }
}

/** What the live connection calls back (it does not import this module). */
const live: LiveHost = { applyUpdates, refreshConversations, endSession: (why) => endSession(why) };
