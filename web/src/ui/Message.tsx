// One message in the timeline: sender, time, its text (blocks.tsx), the quoted message of a
// reply, reactions, and its actions.
import { useState } from "preact/hooks";
import type { ConversationKind } from "../gen/ConversationKind";
import type { MessageView } from "../gen/MessageView";
import { formatDateTime, formatTime, t } from "../lib/i18n";
import { Avatar } from "./common";
import { personName, plainText, systemText } from "./names";
import { Blocks } from "./blocks";
import { MenuButton } from "./Menu";
import { showPerson } from "./PersonCard";

export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

export interface MessageActions {
  reply: (m: MessageView) => void;
  edit: (m: MessageView) => void;
  remove: (m: MessageView) => void;
  react: (m: MessageView, emoji: string, remove: boolean) => void;
  jump: (seq: number) => void;
  canWrite: boolean;
}

export function Message(props: {
  m: MessageView;
  showSender: boolean;
  /** The conversation's kind (a direct chat keeps no room for avatars). */
  kind?: ConversationKind;
  actions: MessageActions;
}) {
  const m = props.m;
  const [menu, setMenu] = useState(false);
  if (m.body.type === "system") {
    const text = systemText(m.body.note, props.kind);
    if (!text) return <div class="sys-empty" />;
    return (
      <div class="system" data-seq={m.seq}>
        <span>
          {/* Nobody in the conversation removed a person whose access ended: no "who". */}
          {m.body.note.type === "removed" && m.body.note.lost_access ? text : `${personName(m.sender_person)} · ${text}`}
        </span>
      </div>
    );
  }
  const sender = personName(m.sender_person);
  const a = props.actions;
  const label = `${m.own ? t("person.you") : sender}, ${formatDateTime(m.sent_ms)}`;
  return (
    <article
      class={`msg${m.own ? " own" : ""}${m.queued ? " queued" : ""}${m.deleted ? " deleted" : ""}`}
      aria-label={label}
      data-seq={m.seq}
      data-id={m.id}
      data-testid="message"
    >
      {props.showSender && !m.own ? (
        <button
          type="button"
          class="person-show"
          onClick={() => showPerson(m.sender_person)}
          aria-label={t("card.show", { name: sender })}
          title={t("card.show", { name: sender })}
        >
          <Avatar id={m.sender_person} name={sender} size="s" />
        </button>
      ) : props.kind === "direct" ? null : (
        <span class="avatar-space" aria-hidden="true" />
      )}
      <div class="bubble">
        {props.showSender && !m.own && (
          <p class="sender">
            <button type="button" class="sender-name" onClick={() => showPerson(m.sender_person)}>
              {sender}
            </button>
          </p>
        )}
        {m.reply_to && (
          <button
            type="button"
            class="quote"
            onClick={() => m.reply_to?.seq && a.jump(m.reply_to.seq)}
            aria-label={t("message.quoteOf", { name: personName(m.reply_to.sender_person) })}
          >
            <span class="quote-who">{personName(m.reply_to.sender_person)}</span>
            <span class="quote-text">
              {m.reply_to.deleted
                ? t("message.deleted")
                : plainText(m.reply_to.excerpt) || t("message.notHere")}
            </span>
          </button>
        )}
        <div class="text" data-testid="message-text">
          {m.deleted ? (
            <p class="muted">{t("message.deleted")}</p>
          ) : m.body.type === "text" ? (
            <Blocks blocks={m.body.blocks} />
          ) : (
            <p class="muted">{t("message.unknown", { kind: m.body.kind })}</p>
          )}
        </div>
        <p class="meta">
          {m.edited && !m.deleted && <span class="edited">{t("message.edited")} · </span>}
          <time dateTime={new Date(m.sent_ms).toISOString()} title={formatDateTime(m.sent_ms)}>
            {formatTime(m.sent_ms)}
          </time>
          {m.queued && <span class="queued-mark"> · {t("message.queued")}</span>}
          {!m.verified && <span class="unverified"> · {t("message.unverified")}</span>}
        </p>
        {m.reactions.length > 0 && (
          <div class="reactions">
            {m.reactions.map((r) => (
              <button
                key={r.emoji}
                type="button"
                class={r.mine ? "reaction mine" : "reaction"}
                aria-pressed={r.mine}
                disabled={!a.canWrite || m.queued}
                title={r.people.map((u) => personName(u)).join(", ")}
                aria-label={t("message.reactionBy", {
                  emoji: r.emoji,
                  names: r.people.map((u) => personName(u)).join(", "),
                })}
                onClick={() => a.react(m, r.emoji, r.mine)}
              >
                {r.emoji} {r.people.length}
              </button>
            ))}
          </div>
        )}
      </div>
      {!m.deleted && !m.queued && a.canWrite && (
        <div class={menu ? "msg-actions open" : "msg-actions"}>
          <MenuButton label={t("message.actions")} onOpen={setMenu} testId="message-menu">
            {(close) => (
              <>
                <div class="quick" role="group" aria-label={t("message.react")}>
                  {QUICK_REACTIONS.map((e) => (
                    <button
                      key={e}
                      type="button"
                      role="menuitem"
                      aria-label={t("message.reactWith", { emoji: e })}
                      onClick={() => {
                        close();
                        a.react(m, e, m.reactions.some((r) => r.emoji === e && r.mine));
                      }}
                    >
                      {e}
                    </button>
                  ))}
                </div>
                <button
                  type="button"
                  role="menuitem"
                  onClick={() => {
                    close();
                    a.reply(m);
                  }}
                >
                  {t("message.reply")}
                </button>
                {m.own && m.body.type === "text" && (
                  <button
                    type="button"
                    role="menuitem"
                    onClick={() => {
                      close();
                      a.edit(m);
                    }}
                  >
                    {t("message.edit")}
                  </button>
                )}
                {m.own && (
                  <button
                    type="button"
                    role="menuitem"
                    class="danger"
                    onClick={() => {
                      close();
                      a.remove(m);
                    }}
                  >
                    {t("message.delete")}
                  </button>
                )}
              </>
            )}
          </MenuButton>
        </div>
      )}
    </article>
  );
}
