// Writing: Enter sends, Shift+Enter starts a new line, Escape cancels a reply or an edit,
// ArrowUp in an empty composer edits the last own message. "@" suggests members; a chosen
// mention travels as `@[Name](id)`.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { Icon } from "./icons";
import type { MessageView } from "../gen/MessageView";
import { t } from "../lib/i18n";
import { isKontorError } from "../lib/device";
import { keepFlushing } from "../lib/live";
import { refreshConversations, touched } from "../lib/session";
import { device, me, serverConversations, toast } from "../lib/state";
import { nameOf } from "../lib/people";
import { errorText } from "./common";
import { EmojiPicker } from "./EmojiPicker";
import { PollDialog } from "./PollDialog";
import { personName, plainText } from "./names";

/** Turns the mentions picked in this draft into `@[Name](id)`. */
export function encodeMentions(text: string, picked: Map<string, string>): string {
  let out = text;
  for (const [name, id] of picked) {
    out = out.split(`@${name}`).join(`@[${name}](${id})`);
  }
  return out;
}

/** The draft text of a message with mentions, as typed (`@Name`). */
function decodeMentions(text: string, picked: Map<string, string>): string {
  return text.replace(/@\[([^\]]*)\]\(([^)]*)\)/g, (_m, name: string, id: string) => {
    picked.set(name, id);
    return `@${name}`;
  });
}

export function Composer(props: {
  id: string;
  replyTo: MessageView | null;
  editing: MessageView | null;
  onDone: () => void;
  onCancel: () => void;
  onEditLast: () => void;
}) {
  const [text, setText] = useState("");
  const [picking, setPicking] = useState(false);
  const [polling, setPolling] = useState(false);
  const [suggest, setSuggest] = useState<{ q: string; at: number } | null>(null);
  const [choice, setChoice] = useState(0);
  const area = useRef<HTMLTextAreaElement>(null);
  const picked = useRef(new Map<string, string>());

  // Before the next paint, so that what the person types next is not overwritten.
  useLayoutEffect(() => {
    if (props.editing && props.editing.body.type === "text") {
      picked.current = new Map();
      setText(decodeMentions(props.editing.body.text, picked.current));
    }
    area.current?.focus();
  }, [props.editing?.id, props.replyTo?.id]);

  useEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const members = (serverConversations.value[props.id]?.members ?? [])
    .map((m) => m.person_id)
    .filter((u) => u !== me.value?.person.id);
  const matches = suggest
    ? members
        .map((u) => ({ id: u, name: nameOf(u, "") }))
        .filter((p) => p.name && p.name.toLowerCase().includes(suggest.q.toLowerCase()))
        .slice(0, 6)
    : [];

  function onInput(v: string) {
    setText(v);
    const el = area.current;
    const caret = el?.selectionStart ?? v.length;
    const before = v.slice(0, caret);
    const m = /(^|\s)@([^\s@]{0,30})$/.exec(before);
    if (m) {
      setSuggest({ q: m[2], at: caret - m[2].length - 1 });
      setChoice(0);
    } else setSuggest(null);
  }

  function pick(p: { id: string; name: string }) {
    if (!suggest) return;
    const el = area.current;
    const caret = el?.selectionStart ?? text.length;
    const next = `${text.slice(0, suggest.at)}@${p.name} ${text.slice(caret)}`;
    picked.current.set(p.name, p.id);
    setText(next);
    setSuggest(null);
    requestAnimationFrame(() => {
      const pos = suggest.at + p.name.length + 2;
      el?.setSelectionRange(pos, pos);
      el?.focus();
    });
  }

  async function send() {
    const draft = text.trim();
    if (!draft) return;
    const body = encodeMentions(draft, picked.current);
    const editing = props.editing;
    const reply = props.replyTo;
    setText("");
    picked.current = new Map();
    props.onDone();
    try {
      if (editing) await device().edit(props.id, editing.id, body);
      else await device().sendText(props.id, body, reply?.id);
    } catch (e) {
      // Kept in the outbox (the server is out of reach, or asked to wait): it goes out by
      // itself once it can.
      if (isKontorError(e) && e.kept) {
        // A full organisation is the admins' to solve: say so, the message still waits.
        if (isKontorError(e) && e.kind === "api" && e.code === "quota_exceeded") toast(errorText(e), "error");
        else toast(t("message.queuedToast"));
        keepFlushing();
      } else {
        // Refused for good: the text comes back so nothing is lost.
        setText(draft);
        toast(errorText(e), "error");
        // Often because the membership changed (removed, or made a reader), which a removed
        // device is not told: the server's view shows what is left.
        await touched(props.id, editing ? [editing.seq] : []);
        await refreshConversations(true);
        return;
      }
    }
    await touched(props.id, editing ? [editing.seq] : []);
  }

  function onKey(e: KeyboardEvent) {
    if (suggest && matches.length > 0) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const d = e.key === "ArrowDown" ? 1 : -1;
        setChoice((c) => (c + d + matches.length) % matches.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(matches[choice]);
        return;
      }
      if (e.key === "Escape") {
        setSuggest(null);
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === "Escape" && (props.replyTo || props.editing)) {
      setText("");
      props.onCancel();
    } else if (e.key === "ArrowUp" && !text) {
      props.onEditLast();
    }
  }

  return (
    <div class="composer">
      {(props.replyTo || props.editing) && (
        <div class="composer-context">
          <span>
            {props.editing
              ? t("composer.editing")
              : t("composer.replyingTo", { name: personName(props.replyTo?.sender_person) })}
          </span>
          {props.replyTo && props.replyTo.body.type === "text" && (
            <span class="quote-text">{plainText(props.replyTo.body.text).slice(0, 80)}</span>
          )}
          <button
            type="button"
            class="icon"
            aria-label={t("common.cancel")}
            onClick={() => {
              setText("");
              props.onCancel();
            }}
          >
            <Icon name="close" size={18} />
          </button>
        </div>
      )}
      {suggest && matches.length > 0 && (
        <ul class="suggest" role="listbox" aria-label={t("composer.mention")}>
          {matches.map((p, i) => (
            <li
              key={p.id}
              role="option"
              aria-selected={i === choice}
              class={i === choice ? "on" : ""}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(p);
              }}
            >
              @{p.name}
            </li>
          ))}
        </ul>
      )}
      <form
        class="composer-row"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label class="sr-only" for="composer">
          {t("composer.label")}
        </label>
        <button
          type="button"
          class="icon poll-button"
          aria-label={t("poll.new")}
          title={t("poll.new")}
          onClick={() => setPolling(true)}
        >
          <Icon name="poll" />
        </button>
        <button
          type="button"
          class="icon emoji-button"
          aria-label={t("emoji.pickInsert")}
          title={t("emoji.pickInsert")}
          onClick={() => setPicking(true)}
        >
          <Icon name="smile" />
        </button>
        <textarea
          id="composer"
          ref={area}
          rows={1}
          value={text}
          placeholder={t("composer.placeholder")}
          onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
          onKeyDown={onKey}
          data-testid="composer"
        />
        <button type="submit" class="send" aria-label={t("composer.send")} disabled={!text.trim()}>
          <Icon name="send" />
        </button>
      </form>
      {polling && (
        <PollDialog
          conversation={props.id}
          onClose={() => setPolling(false)}
          onSent={() => {
            setPolling(false);
            props.onDone();
          }}
        />
      )}
      {picking && (
        <EmojiPicker
          title={t("emoji.pickInsert")}
          onClose={() => setPicking(false)}
          onPick={(emoji) => {
            setPicking(false);
            // At the cursor, and the cursor after it.
            const el = area.current;
            const at = el ? el.selectionStart : text.length;
            const end = el ? el.selectionEnd : text.length;
            const next = text.slice(0, at) + emoji + text.slice(end);
            onInput(next);
            requestAnimationFrame(() => {
              el?.focus();
              el?.setSelectionRange(at + emoji.length, at + emoji.length);
            });
          }}
        />
      )}
    </div>
  );
}
