// One message in the timeline: sender, time, its text (blocks.tsx), the quoted message of a
// reply, reactions, and its actions.
import { useState } from "preact/hooks";
import type { ConversationKind } from "../gen/ConversationKind";
import type { MessageView } from "../gen/MessageView";
import { formatDateTime, formatTime, t, tn } from "../lib/i18n";
import { toast } from "../lib/state";
import { Avatar } from "./common";
import { personName, plainText, systemText } from "./names";
import { Blocks } from "./blocks";
import { usedEmoji } from "./EmojiPicker";
import { MenuButton } from "./Menu";
import { showPerson } from "./PersonCard";

/** A message's text as copied: the markdown the sender wrote, mentions as `@Name`. */
function copyText(text: string): string {
  return text.replace(/@\[([^\]]*)\]\([^)]*\)/g, "@$1");
}

export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

export interface MessageActions {
  reply: (m: MessageView) => void;
  edit: (m: MessageView) => void;
  remove: (m: MessageView) => void;
  react: (m: MessageView, emoji: string, remove: boolean) => void;
  jump: (seq: number) => void;
  forward: (m: MessageView) => void;
  /** Opens the full emoji picker to react with. */
  pickReaction: (m: MessageView) => void;
  vote: (m: MessageView, choices: number[]) => void;
  pin: (m: MessageView, unpin: boolean) => void;
  canWrite: boolean;
}

/** A poll: tap an option to vote (again to take it back); bars show the share so far. */
function PollBody(props: { m: MessageView; actions: MessageActions }) {
  const { m, actions: a } = props;
  if (m.body.type !== "poll") return null;
  const p = m.body;
  const closed = p.closes_ms !== null && Date.now() > p.closes_ms;
  const mine = p.mine;
  const about = [
    p.multiple ? t("poll.multiple") : t("poll.single"),
    p.anonymous ? t("poll.anonymous") : t("poll.named"),
    p.closes_ms !== null ? (closed ? t("poll.closed") : t("poll.closes", { when: formatDateTime(p.closes_ms) })) : null,
  ].filter(Boolean);
  return (
    <div class="poll" role="group" aria-label={p.question} data-testid="poll">
      <p class="poll-q">{p.question}</p>
      <p class="muted small">{about.join(" · ")}</p>
      {p.options.map((o, i) => {
        const on = mine.includes(i);
        const share = p.voters > 0 ? Math.round((o.votes / p.voters) * 100) : 0;
        const next = p.multiple ? (on ? mine.filter((x) => x !== i) : [...mine, i]) : on ? [] : [i];
        return (
          <button
            key={i}
            type="button"
            class={on ? "poll-option on" : "poll-option"}
            role={p.multiple ? "checkbox" : "radio"}
            aria-checked={on}
            disabled={closed || !a.canWrite || m.queued}
            onClick={() => a.vote(m, next)}
          >
            <span class="poll-bar" style={{ width: `${share}%` }} aria-hidden="true" />
            <span class="poll-text">{o.text}</span>
            <span class="poll-count" aria-label={tn("poll.votes", o.votes)}>
              {o.votes}
            </span>
            {o.people.length > 0 && <span class="poll-people">{o.people.map((u) => personName(u)).join(", ")}</span>}
          </button>
        );
      })}
      <p class="muted small">{tn("poll.voters", p.voters)}</p>
    </div>
  );
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
          {/* Always who wrote the note: any member can write one, so it is theirs to answer for. */}
          {personName(m.sender_person)} · {text}
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
          title={t("card.show", { name: sender })}
        >
          <span class="sr-only">{t("card.show", { name: sender })}</span>
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
          >
            <span class="sr-only">{t("message.quoteOf", { name: personName(m.reply_to.sender_person) })}: </span>
            <span class="quote-who" aria-hidden="true">{personName(m.reply_to.sender_person)}</span>
            <span class="quote-text">
              {m.reply_to.deleted
                ? t("message.deleted")
                : plainText(m.reply_to.excerpt) || t("message.notHere")}
            </span>
          </button>
        )}
        {m.body.type === "text" && m.body.forwarded && !m.deleted && (
          <p class="forwarded muted small">{t("message.forwarded")}</p>
        )}
        <div class="text" data-testid="message-text">
          {m.deleted ? (
            <p class="muted">{t("message.deleted")}</p>
          ) : m.body.type === "text" ? (
            <Blocks blocks={m.body.blocks} />
          ) : m.body.type === "poll" ? (
            <PollBody m={m} actions={a} />
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
                onClick={() => a.react(m, r.emoji, r.mine)}
              >
                {r.emoji} {r.people.length}
                <span class="sr-only">
                  {" "}
                  ({t("message.reactionBy", { emoji: r.emoji, names: r.people.map((u) => personName(u)).join(", ") })})
                </span>
              </button>
            ))}
          </div>
        )}
      </div>
      {!m.deleted && !m.queued && (
        <div class={menu ? "msg-actions open" : "msg-actions"}>
          <MenuButton label={t("message.actions")} onOpen={setMenu} testId="message-menu">
            {(close) => {
              /** A menu entry: the menu closes, then it acts. */
              const item = (label: string, act: () => void, danger = false) => (
                <button
                  type="button"
                  role="menuitem"
                  class={danger ? "danger" : undefined}
                  onClick={() => {
                    close();
                    act();
                  }}
                >
                  {label}
                </button>
              );
              const text = m.body.type === "text" ? m.body.text : null;
              return (
                <>
                  {a.canWrite && (
                    <div class="quick" role="group" aria-label={t("message.react")}>
                      {QUICK_REACTIONS.map((e) => (
                        <button
                          key={e}
                          type="button"
                          role="menuitem"
                          aria-label={t("message.reactWith", { emoji: e })}
                          onClick={() => {
                            close();
                            void usedEmoji(e);
                            a.react(m, e, m.reactions.some((r) => r.emoji === e && r.mine));
                          }}
                        >
                          {e}
                        </button>
                      ))}
                      <button
                        type="button"
                        role="menuitem"
                        aria-label={t("message.moreReactions")}
                        title={t("message.moreReactions")}
                        onClick={() => {
                          close();
                          a.pickReaction(m);
                        }}
                      >
                        +
                      </button>
                    </div>
                  )}
                  {a.canWrite && item(t("message.reply"), () => a.reply(m))}
                  {text !== null &&
                    item(t("message.copy"), () =>
                      void navigator.clipboard
                        .writeText(copyText(text))
                        .then(() => toast(t("message.copied")))
                        .catch(() => toast(t("message.copyFailed"), "error")),
                    )}
                  {text !== null && item(t("message.forward"), () => a.forward(m))}
                  {a.canWrite && item(m.pinned ? t("message.unpin") : t("message.pin"), () => a.pin(m, m.pinned))}
                  {m.own && a.canWrite && text !== null && item(t("message.edit"), () => a.edit(m))}
                  {m.own && a.canWrite && item(t("message.delete"), () => a.remove(m), true)}
                </>
              );
            }}
          </MenuButton>
        </div>
      )}
    </article>
  );
}
