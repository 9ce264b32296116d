// One conversation: its header, the timeline (virtualised, older messages loaded while
// scrolling up), the composer, and the members panel. useTimeline.ts loads the messages;
// rows.tsx draws them; banners.tsx says what is wrong on this device.
import { useEffect, useState } from "preact/hooks";
import { t } from "../../lib/i18n";
import { mayWrite } from "../../lib/device";
import { touched } from "../../lib/session";
import { conversations, device, me, serverConversations, toast } from "../../lib/state";
import type { MessageView } from "../../gen/MessageView";
import { ask } from "../ask";
import { errorText } from "../common";
import { Composer } from "../Composer";
import { Members } from "../Members";
import type { MessageActions } from "../Message";
import { conversationName } from "../names";
import { VirtualList } from "../VirtualList";
import { ReadOnly, StateBanners } from "./banners";
import { ConversationHeader } from "./header";
import { rows, TimelineRow } from "./rows";
import { useTimeline } from "./useTimeline";

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
  useEffect(() => {
    setReplyTo(null);
    setEditing(null);
  }, [id]);

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
    remove: async (m) => {
      if (!(await ask({ title: t("message.confirmDelete"), yes: t("message.delete"), danger: true }))) return;
      void device()
        .delete(id, m.id)
        .catch((e) => toast(errorText(e), "error"))
        .then(() => touched(id, [m.seq]));
    },
    react: (m, emoji, remove) => {
      void device()
        .react(id, m.id, emoji, remove)
        .catch((e) => toast(errorText(e), "error"))
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
  return (
    <section class="conversation" aria-label={name}>
      <ConversationHeader view={view} name={name} server={server} myRole={mine?.role} panel={props.panel} />
      <StateBanners view={view} />
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
