// One conversation: its header, the timeline (virtualised, older messages loaded while
// scrolling up), the composer, and the members panel.
import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "./icons";
import { formatDay, t, tn } from "../lib/i18n";
import { navigate } from "../lib/router";
import {
  conversations,
  device,
  me,
  serverConversations,
  timelineChanged,
  toast,
} from "../lib/state";
import { refreshConversations, touched } from "../lib/session";
import type { ConversationView } from "../gen/ConversationView";
import type { MessageView } from "../gen/MessageView";
import { Avatar, errorText } from "./common";
import { Composer } from "./Composer";
import { Members } from "./Members";
import { Message, type MessageActions } from "./Message";
import { conversationName, personName } from "./names";
import { VirtualList } from "./VirtualList";

const PAGE = 100;

/** A row of the timeline: a message, with a day line before the first of each day. */
interface Row {
  key: string;
  m: MessageView;
  day: string | null;
  showSender: boolean;
}

function keyOf(m: MessageView): string {
  return m.queued ? `q:${m.id}` : `s:${m.seq}`;
}

function rows(list: MessageView[]): Row[] {
  const out: Row[] = [];
  let prev: MessageView | null = null;
  let prevDay = "";
  for (const m of list) {
    const day = new Date(m.sent_at).toDateString();
    const newDay = day !== prevDay;
    const showSender =
      newDay ||
      !prev ||
      prev.sender_user !== m.sender_user ||
      prev.body.type === "system" ||
      m.sent_at - prev.sent_at > 5 * 60_000;
    out.push({ key: keyOf(m), m, day: newDay ? formatDay(m.sent_at) : null, showSender });
    prev = m;
    prevDay = day;
  }
  return out;
}

/** Merges a fresh page of the newest messages into what is loaded. */
function merge(loaded: MessageView[], fresh: MessageView[]): MessageView[] {
  const bySeq = new Map<number, MessageView>();
  for (const m of loaded) if (!m.queued) bySeq.set(m.seq, m);
  for (const m of fresh) if (!m.queued) bySeq.set(m.seq, m);
  const sent = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return [...sent, ...fresh.filter((m) => m.queued)];
}

/** What the person must know about the conversation on this device: why it stopped and what
 * to do, that this device is being added again, whom messages do not reach yet. */
function StateBanners(props: { view: ConversationView }) {
  const v = props.view;
  const [busy, setBusy] = useState(false);
  const who = personName(v.stopped?.person);
  return (
    <>
      {v.stopped && (
        <div class="banner warn" role="alert" data-testid="stopped">
          <p>{t(`stop.${v.stopped.reason}`, { who })}</p>
          <p>{t("stop.whatToDo", { who })}</p>
          <button
            type="button"
            class="button"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              void device()
                .tryAgain(v.id)
                .catch((e) => toast(errorText(e), "error"))
                .finally(() => {
                  setBusy(false);
                  void refreshConversations();
                });
            }}
          >
            {t("stop.tryAgain")}
          </button>
        </div>
      )}
      {v.rejoining && (
        <p class="banner" role="status" data-testid="rejoining">
          {t("conversation.rejoining")}
        </p>
      )}
      {v.unreachable.length > 0 && (
        <p class="banner" role="status" data-testid="unreachable">
          {t("conversation.unreachable", { names: v.unreachable.map((u) => personName(u)).join(", ") })}
        </p>
      )}
    </>
  );
}

export function ConversationPane(props: { id: string; panel?: "members" }) {
  const id = props.id;
  const view = conversations.value.find((c) => c.id === id);
  const server = serverConversations.value[id];
  const mine = server?.members.find((m) => m.user_id === me.value?.person.id);
  const canWrite =
    !!view && !view.removed && !view.stopped && !view.rejoining && mine?.role !== "reader";
  const [messages, setMessages] = useState<MessageView[]>([]);
  const [more, setMore] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [replyTo, setReplyTo] = useState<MessageView | null>(null);
  const [editing, setEditing] = useState<MessageView | null>(null);
  const [bottomTick, setBottomTick] = useState(0);
  const loadingOlder = useRef(false);
  const atBottom = useRef(true);
  const list = useRef<MessageView[]>([]);
  list.current = messages;

  useEffect(() => {
    let live = true;
    setLoaded(false);
    setMessages([]);
    setReplyTo(null);
    setEditing(null);
    void device()
      .timeline(id, undefined, PAGE)
      .then((page) => {
        if (!live) return;
        setMessages(page.messages);
        setMore(page.more);
        setLoaded(true);
        setBottomTick((x) => x + 1);
      });
    return () => {
      live = false;
    };
  }, [id]);

  // New and changed messages.
  const bump = timelineChanged.value;
  useEffect(() => {
    if (bump.id !== id || !loaded) return;
    void (async () => {
      const page = await device().timeline(id, undefined, 50);
      let next = merge(list.current, page.messages);
      // Edits and reactions to messages older than the newest page.
      const oldest = page.messages.find((m) => !m.queued)?.seq ?? Infinity;
      const stale = bump.changed.filter((seq) => seq < oldest);
      if (stale.length > 0) {
        const fresh = await Promise.all(stale.map((seq) => device().message(id, seq)));
        const bySeq = new Map(fresh.filter((m): m is MessageView => !!m).map((m) => [m.seq, m]));
        next = next.map((m) => (!m.queued && bySeq.get(m.seq)) || m);
      }
      setMessages(next);
    })();
  }, [bump.n]);

  // Seen: when the newest messages are in view.
  const newest = messages.filter((m) => !m.queued).at(-1)?.seq ?? 0;
  useEffect(() => {
    if (!view || newest <= view.read || !atBottom.current || document.hidden) return;
    const timer = setTimeout(() => {
      void device()
        .markRead(id, newest)
        .then(() => refreshConversations());
    }, 300);
    return () => clearTimeout(timer);
  }, [newest, view?.read, id]);

  async function older() {
    if (loadingOlder.current || !more) return;
    const first = list.current.find((m) => !m.queued);
    if (!first) return;
    loadingOlder.current = true;
    try {
      const page = await device().timeline(id, first.seq, PAGE);
      setMessages((cur) => [...page.messages.filter((m) => m.seq < first.seq), ...cur]);
      setMore(page.more);
    } finally {
      loadingOlder.current = false;
    }
  }

  const actions: MessageActions = {
    canWrite,
    reply: (m) => {
      setEditing(null);
      setReplyTo(m);
    },
    edit: (m) => {
      setReplyTo(null);
      setEditing(m);
    },
    // Redrawn here once done: no update comes back from the server for this device's own
    // reactions and deletions.
    remove: (m) => {
      if (!confirm(t("message.confirmDelete"))) return;
      void device()
        .delete(id, m.id)
        .catch((e) => toast(errorText(e, { queued: true }), "error"))
        .then(() => touched(id, [m.seq]));
    },
    react: (m, emoji, remove) => {
      void device()
        .react(id, m.id, emoji, remove)
        .catch((e) => toast(errorText(e, { queued: true }), "error"))
        .then(() => touched(id, [m.seq]));
    },
    jump: (seq) => {
      const el = document.querySelector(`[data-seq="${seq}"]`);
      el?.scrollIntoView({ block: "center" });
    },
  };

  if (!view) {
    return (
      <div class="empty">
        <p>{t("conversation.notFound")}</p>
      </div>
    );
  }
  const name = conversationName(view);
  const r = rows(messages);
  return (
    <section class="conversation" aria-label={name}>
      <header class="conv-head">
        <button
          type="button"
          class="icon back"
          onClick={() => navigate("/")}
          aria-label={t("nav.back")}
        >
          <Icon name="back" />
        </button>
        <Avatar id={view.id} name={name} kind={view.kind} />
        <div class="conv-title">
          <h1 data-testid="conversation-title">{name}</h1>
          <p class="muted">
            {view.kind === "channel"
              ? mine?.role === "reader"
                ? t("conversation.channelReader")
                : t("conversation.channelPoster")
              : tn("conversation.members", server?.members.length ?? 0)}
          </p>
        </div>
        <button
          type="button"
          class="icon"
          aria-label={t("members.title")}
          aria-expanded={props.panel === "members"}
          onClick={() => navigate(props.panel === "members" ? `/c/${id}` : `/c/${id}/members`)}
        >
          <Icon name="people" />
        </button>
      </header>
      <StateBanners view={view} />
      {props.panel === "members" ? (
        <Members id={id} />
      ) : (
        <>
          {loaded && messages.length === 0 ? (
            <div class="empty">
              <p>{t("conversation.empty")}</p>
            </div>
          ) : (
            <VirtualList
              items={r}
              itemKey={(row) => row.key}
              label={t("conversation.timeline", { name })}
              testId="timeline"
              onNearTop={() => void older()}
              onBottom={(b) => (atBottom.current = b)}
              toBottom={bottomTick}
              render={(row) => (
                <>
                  {row.day && (
                    <p class="day" role="separator">
                      {row.day}
                    </p>
                  )}
                  <Message m={row.m} showSender={row.showSender} actions={actions} />
                </>
              )}
            />
          )}
          {view.removed ? (
            <p class="banner">{t("conversation.left")}</p>
          ) : canWrite ? (
            <Composer
              id={id}
              replyTo={replyTo}
              editing={editing}
              onDone={() => {
                setReplyTo(null);
                setEditing(null);
                setBottomTick((x) => x + 1);
              }}
              onEditLast={() => {
                const last = [...messages].reverse().find((m) => m.own && !m.deleted && !m.queued && m.body.type === "text");
                if (last) setEditing(last);
              }}
              onCancel={() => {
                setReplyTo(null);
                setEditing(null);
              }}
            />
          ) : (
            <p class="banner" data-testid="read-only">
              {view.stopped
                ? t("conversation.stoppedShort")
                : view.rejoining
                  ? t("conversation.rejoiningShort")
                  : t("conversation.readOnly")}
            </p>
          )}
        </>
      )}
    </section>
  );
}
