// One message in the timeline: sender, time, the markdown subset rendered as elements (never
// as HTML), the quoted message of a reply, reactions, and its actions.
import type { JSX } from "preact";
import { Icon } from "./icons";
import { useState } from "preact/hooks";
import type { Block } from "../gen/Block";
import type { MessageView } from "../gen/MessageView";
import type { Span } from "../gen/Span";
import { formatDateTime, formatTime, t } from "../lib/i18n";
import { me } from "../lib/state";
import { Avatar } from "./common";
import { personName, plainText, systemText } from "./names";
import { nameOf } from "../lib/people";

function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

function spans(list: Span[], key = ""): JSX.Element[] {
  return list.map((s, i) => {
    const k = `${key}${i}`;
    switch (s.t) {
      case "text":
        return <span key={k}>{s.c}</span>;
      case "bold":
        return <strong key={k}>{spans(s.c, k)}</strong>;
      case "italic":
        return <em key={k}>{spans(s.c, k)}</em>;
      case "strike":
        return <s key={k}>{spans(s.c, k)}</s>;
      case "code":
        return <code key={k}>{s.c}</code>;
      case "link":
        return (
          <a key={k} href={s.c.url} title={s.c.url} target="_blank" rel="noopener noreferrer nofollow">
            {s.c.text}
            {s.c.text !== s.c.url && <span class="link-host"> ({hostOf(s.c.url)})</span>}
          </a>
        );
      case "mention":
        return (
          <span
            key={k}
            class={s.c.user === me.value?.person.id ? "mention me" : "mention"}
            data-user={s.c.user}
          >
            {/* The person's name as this device knows it, not the label the sender typed. */}
            @{nameOf(s.c.user, s.c.name)}
          </span>
        );
    }
  });
}

export function Blocks(props: { blocks: Block[] }) {
  return (
    <>
      {props.blocks.map((b, i) => {
        switch (b.t) {
          case "paragraph":
            return <p key={i}>{spans(b.c)}</p>;
          case "quote":
            return <blockquote key={i}>{spans(b.c)}</blockquote>;
          case "list_item":
            return (
              <p key={i} class="li">
                <span aria-hidden="true">• </span>
                {spans(b.c)}
              </p>
            );
          case "code_block":
            return (
              <pre key={i}>
                <code>{b.c}</code>
              </pre>
            );
        }
      })}
    </>
  );
}

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
  actions: MessageActions;
}) {
  const m = props.m;
  const [menu, setMenu] = useState(false);
  if (m.body.type === "system") {
    const text = systemText(m.body.note);
    if (!text) return <div class="sys-empty" />;
    return (
      <div class="system" data-seq={m.seq}>
        <span>
          {personName(m.sender_user)} · {text}
        </span>
      </div>
    );
  }
  const sender = personName(m.sender_user);
  const a = props.actions;
  const label = `${m.own ? t("person.you") : sender}, ${formatDateTime(m.sent_at)}`;
  return (
    <article
      class={`msg${m.own ? " own" : ""}${m.queued ? " queued" : ""}${m.deleted ? " deleted" : ""}`}
      aria-label={label}
      data-seq={m.seq}
      data-id={m.id}
      data-testid="message"
    >
      {props.showSender && !m.own ? (
        <Avatar id={m.sender_user} name={sender} size="s" />
      ) : (
        <span class="avatar-space" aria-hidden="true" />
      )}
      <div class="bubble">
        {props.showSender && !m.own && <p class="sender">{sender}</p>}
        {m.reply_to && (
          <button
            type="button"
            class="quote"
            onClick={() => m.reply_to?.seq && a.jump(m.reply_to.seq)}
            aria-label={t("message.quoteOf", { name: personName(m.reply_to.sender_user) })}
          >
            <span class="quote-who">{personName(m.reply_to.sender_user)}</span>
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
          <time dateTime={new Date(m.sent_at).toISOString()} title={formatDateTime(m.sent_at)}>
            {formatTime(m.sent_at)}
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
                title={r.users.map((u) => personName(u)).join(", ")}
                aria-label={t("message.reactionBy", {
                  emoji: r.emoji,
                  names: r.users.map((u) => personName(u)).join(", "),
                })}
                onClick={() => a.react(m, r.emoji, r.mine)}
              >
                {r.emoji} {r.users.length}
              </button>
            ))}
          </div>
        )}
      </div>
      {!m.deleted && !m.queued && a.canWrite && (
        <div class="msg-actions">
          <button
            type="button"
            class="icon"
            aria-label={t("message.actions")}
            aria-expanded={menu}
            onClick={() => setMenu(!menu)}
          >
            <Icon name="more" />
          </button>
          {menu && (
            <div
              class="menu-pop"
              role="menu"
              onKeyDown={(e) => e.key === "Escape" && setMenu(false)}
            >
              <div class="quick" role="group" aria-label={t("message.react")}>
                {QUICK_REACTIONS.map((e) => (
                  <button
                    key={e}
                    type="button"
                    role="menuitem"
                    aria-label={t("message.reactWith", { emoji: e })}
                    onClick={() => {
                      setMenu(false);
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
                  setMenu(false);
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
                    setMenu(false);
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
                    setMenu(false);
                    a.remove(m);
                  }}
                >
                  {t("message.delete")}
                </button>
              )}
            </div>
          )}
        </div>
      )}
    </article>
  );
}
