// The conversation list: newest first, unread counts, the last message, a filter by text and
// by kind (direct chats, groups, announcement channels). The text also searches the messages
// on this device, in every conversation (search.tsx).
import { useEffect, useState } from "preact/hooks";
import { conversations, me, serverConversations } from "../lib/state";
import { navigate, route } from "../lib/router";
import { formatTime, t } from "../lib/i18n";
import type { ConversationView } from "../gen/ConversationView";
import { Avatar } from "./common";
import { conversationName, personName, preview } from "./names";
import { SearchHits, useSearch } from "./search";

type Kind = "all" | "unread" | "direct" | "group" | "channel";

export function ConversationList(props: { filter?: string }) {
  const [q, setQ] = useState("");
  const [kind, setKind] = useState<Kind>(props.filter === "channels" ? "channel" : "all");
  const open = route.value.page === "conversation" ? route.value.id : null;
  const needle = q.trim().toLowerCase();
  const list = conversations.value.filter((c) => {
    if (kind === "unread" && c.unread === 0) return false;
    if ((kind === "direct" || kind === "group" || kind === "channel") && c.kind !== kind) return false;
    if (!needle) return true;
    return (
      conversationName(c).toLowerCase().includes(needle) ||
      preview(c.last).toLowerCase().includes(needle)
    );
  });
  const found = useSearch(q);
  const kinds: Kind[] = ["all", "unread", "direct", "group", "channel"];
  const painted = list.length > 0;
  useEffect(() => {
    // For the benchmark: when the list first showed conversations after the page loaded.
    if (painted && performance.getEntriesByName("kontor:list").length === 0) {
      performance.mark("kontor:list");
    }
  }, [painted]);
  return (
    <div class="conv-list">
      <div class="list-tools">
        <label class="sr-only" for="conv-filter">
          {t("search.all")}
        </label>
        <input
          id="conv-filter"
          type="search"
          placeholder={t("search.short")}
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        />
        <div class="chips" role="group" aria-label={t("list.kinds")}>
          {kinds.map((k) => (
            <button
              key={k}
              type="button"
              class={kind === k ? "chip on" : "chip"}
              aria-pressed={kind === k}
              onClick={() => setKind(k)}
            >
              {t(`list.kind.${k}`)}
            </button>
          ))}
        </div>
      </div>
      {needle ? (
        <div class="search-all">
          {list.length > 0 && (
            <>
              <h2 class="hits-title">{t("list.title")}</h2>
              <ul class="items" data-testid="conversation-list">
                {list.map((c) => (
                  <Item key={c.id} c={c} open={c.id === open} />
                ))}
              </ul>
            </>
          )}
          {list.length === 0 && found?.total === 0 && <p class="list-empty muted">{t("list.noMatch")}</p>}
          <h2 class="hits-title">{t("search.messages")}</h2>
          {found && <SearchHits found={found} everywhere />}
          <p class="hint hits-hint">{t("search.deviceOnly")}</p>
        </div>
      ) : list.length === 0 ? (
        <div class="list-empty">
          <p>{conversations.value.length === 0 ? t("list.none") : t("list.noMatch")}</p>
          {conversations.value.length === 0 && (
            <button class="primary" onClick={() => navigate("/new")}>
              {t("nav.new")}
            </button>
          )}
        </div>
      ) : (
        <ul class="items" data-testid="conversation-list">
          {list.map((c) => (
            <Item key={c.id} c={c} open={c.id === open} />
          ))}
        </ul>
      )}
    </div>
  );
}

function Item(props: { c: ConversationView; open: boolean }) {
  const c = props.c;
  const name = conversationName(c);
  const last = c.last;
  const who =
    last && c.kind !== "direct" && last.body.type === "text"
      ? `${last.own ? t("person.you") : personName(last.sender_person)}: `
      : "";
  const server = serverConversations.value[c.id];
  const role = server?.members.find((m) => m.person_id === me.value?.person.id)?.role;
  return (
    <li>
      <a
        href={`/c/${c.id}`}
        class={props.open ? "item open" : "item"}
        aria-current={props.open ? "page" : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate(`/c/${c.id}`);
        }}
        data-conversation={c.id}
      >
        <Avatar id={c.id} name={name} kind={c.kind} />
        <span class="item-body">
          <span class="item-top">
            <span class="item-name">
              {name}
              {c.kind === "channel" && (
                <span class="tag">{role === "reader" ? t("kind.channelRead") : t("kind.channel")}</span>
              )}
            </span>
            {c.last_ms > 0 && <time class="item-time">{formatTime(c.last_ms)}</time>}
          </span>
          <span class="item-bottom">
            <span class="item-preview">
              {c.stopped
                ? `⚠ ${t("conversation.stoppedShort")}`
                : c.removed
                  ? t("conversation.left")
                  : c.rejoining
                    ? t("conversation.rejoiningShort")
                    : who + preview(last)}
            </span>
            {c.queued > 0 && (
              <span class="queued" title={t("message.queued")} aria-label={t("message.queued")}>
                ⧗
              </span>
            )}
            {c.unread > 0 && (
              <span class="badge" aria-label={t("list.unread", { n: c.unread })} data-testid="unread">
                {c.unread}
              </span>
            )}
          </span>
        </span>
      </a>
    </li>
  );
}
