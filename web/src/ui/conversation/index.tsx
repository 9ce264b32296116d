// One conversation: its header, the search in it, the timeline (virtualised, older messages
// loaded while scrolling up, or at once to jump to one), the composer, and the members
// panel. useTimeline.ts loads the messages; rows.tsx draws them; banners.tsx says what is
// wrong on this device.
import { useEffect, useState } from "preact/hooks";
import { t, tn } from "../../lib/i18n";
import { mayWrite } from "../../lib/device";
import { navigate } from "../../lib/router";
import { touched } from "../../lib/session";
import { conversations, device, me, serverConversations, toast } from "../../lib/state";
import type { MessageView } from "../../gen/MessageView";
import { ask } from "../ask";
import { errorText } from "../common";
import { Composer } from "../Composer";
import { Members } from "../Members";
import type { MessageActions } from "../Message";
import { conversationName, personName } from "../names";
import { VirtualList } from "../VirtualList";
import { ReadOnly, StateBanners } from "./banners";
import { EmojiPicker } from "../EmojiPicker";
import { ForwardDialog } from "./forward";
import { ConversationSearch, jumpTo } from "../search";
import { ConversationHeader } from "./header";
import { rows, TimelineRow } from "./rows";
import { useTimeline } from "./useTimeline";

/** Marks a message in the timeline for a moment, once it is drawn. */
function highlight(seq: number, tries = 60) {
  const el = document.querySelector<HTMLElement>(`[data-testid="timeline"] [data-seq="${seq}"]`);
  if (!el) {
    if (tries > 0) requestAnimationFrame(() => highlight(seq, tries - 1));
    return;
  }
  el.scrollIntoView({ block: "center" });
  el.classList.remove("flash");
  void el.offsetWidth;
  el.classList.add("flash");
  setTimeout(() => el.classList.remove("flash"), 2500);
}

export function ConversationPane(props: { id: string; panel?: "members" }) {
  const id = props.id;
  const view = conversations.value.find((c) => c.id === id);
  const server = serverConversations.value[id];
  const mine = server?.members.find((m) => m.person_id === me.value?.person.id);
  const canWrite = mayWrite(view, mine?.role);
  const timeline = useTimeline(id, view);
  const { messages } = timeline;
  const [replyTo, setReplyTo] = useState<MessageView | null>(null);
  const [editing, setEditing] = useState<MessageView | null>(null);
  const [forwarding, setForwarding] = useState<MessageView | null>(null);
  const [reactingTo, setReactingTo] = useState<MessageView | null>(null);
  const [searching, setSearching] = useState(false);
  const [scrollTo, setScrollTo] = useState<{ key: string; n: number } | undefined>(undefined);
  useEffect(() => {
    setReplyTo(null);
    setEditing(null);
    setSearching(false);
  }, [id]);

  /** Shows a message: loads what is older first if needed, scrolls it to the middle and
   * highlights it briefly. */
  async function goTo(seq: number) {
    if (!(await timeline.reach(seq))) return;
    setScrollTo((s) => ({ key: `s:${seq}`, n: (s?.n ?? 0) + 1 }));
    highlight(seq);
  }

  // A search result of another screen opened this conversation.
  const jump = jumpTo.value;
  useEffect(() => {
    if (!jump || jump.id !== id || !timeline.loaded) return;
    jumpTo.value = null;
    void goTo(jump.seq);
  }, [jump?.n, id, timeline.loaded]);

  /** Sends a change to a message (delete, react, vote, pin), then redraws it here: no update
   * comes back from the server for this device's own changes. */
  const change = (m: MessageView, send: () => Promise<unknown>) =>
    void send()
      .catch((e) => toast(errorText(e), "error"))
      .then(() => touched(id, [m.seq]));

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
    remove: async (m) => {
      if (!(await ask({ title: t("message.confirmDelete"), yes: t("message.delete"), danger: true }))) return;
      change(m, () => device().delete(id, m.id));
    },
    react: (m, emoji, remove) => change(m, () => device().react(id, m.id, emoji, remove)),
    forward: (m) => setForwarding(m),
    pickReaction: (m) => setReactingTo(m),
    vote: (m, choices) => change(m, () => device().vote(id, m.id, choices)),
    pin: (m, unpin) => change(m, () => device().pin(id, m.id, unpin)),
    jump: (seq) => void goTo(seq),
  };

  if (!view) {
    return (
      <div class="empty">
        <p>{t("conversation.notFound")}</p>
      </div>
    );
  }
  const name = conversationName(view);
  return (
    <section class="conversation" aria-label={name}>
      <ConversationHeader
        view={view}
        name={name}
        server={server}
        myRole={mine?.role}
        panel={props.panel}
        searching={searching}
        onSearch={() => {
          if (props.panel === "members") {
            navigate(`/c/${id}`);
            setSearching(true);
          } else setSearching((s) => !s);
        }}
      />
      {searching && props.panel !== "members" && (
        <ConversationSearch id={id} name={name} onPick={(h) => void goTo(h.seq)} onClose={() => setSearching(false)} />
      )}
      <StateBanners view={view} />
      {view.pinned.length > 0 && props.panel !== "members" && (
        <button type="button" class="pinned-bar" data-testid="pinned-bar" onClick={() => actions.jump(view.pinned[0].seq)}>
          <span aria-hidden="true">📌 </span>
          <span class="sr-only">{t("message.pinnedBy", { name: personName(view.pinned[0].pinned_by) })}: </span>
          <span class="pinned-text">{view.pinned[0].excerpt}</span>
          {view.pinned.length > 1 && <span class="muted small"> {tn("message.morePinned", view.pinned.length - 1)}</span>}
        </button>
      )}
      {forwarding && <ForwardDialog from={id} message={forwarding} onClose={() => setForwarding(null)} />}
      {reactingTo && (
        <EmojiPicker
          title={t("emoji.pickReaction")}
          onClose={() => setReactingTo(null)}
          onPick={(emoji) => {
            const m = reactingTo;
            setReactingTo(null);
            actions.react(m, emoji, m.reactions.some((r) => r.emoji === emoji && r.mine));
          }}
        />
      )}
      {props.panel === "members" ? (
        <Members id={id} />
      ) : (
        <>
          {timeline.loaded && messages.length === 0 ? (
            <div class="empty">
              <p>{t("conversation.empty")}</p>
            </div>
          ) : (
            <VirtualList
              items={rows(messages, view.kind === "direct")}
              itemKey={(row) => row.key}
              label={t("conversation.timeline", { name })}
              testId="timeline"
              onNearTop={() => void timeline.older()}
              onBottom={(b) => (timeline.atBottom.current = b)}
              toBottom={timeline.bottomTick}
              scrollTo={scrollTo}
              render={(row) => <TimelineRow row={row} actions={actions} kind={view.kind} />}
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
                timeline.toBottom();
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
            <ReadOnly view={view} />
          )}
        </>
      )}
    </section>
  );
}
