// The conversation list: newest first, unread counts, the last message, a filter by text and
// by kind (direct chats, groups, announcement channels). The text also searches the messages
// on this device, in every conversation (search.tsx).
import { useEffect, useState } from "preact/hooks";
import { conversations, me, serverConversations } from "../lib/state";
import { navigate, route } from "../lib/router";
import { formatTime, t } from "../lib/i18n";
import type { ConversationView } from "../gen/ConversationView";
import { listPrefs, loadListPrefs } from "../lib/prefs";
import { Avatar } from "./common";
import { avatarId, conversationName, personName, preview } from "./names";
import { SearchHits, useSearch } from "./search";

type Kind = "all" | "unread" | "direct" | "group" | "channel" | "archived";

export function ConversationList(props: { filter?: string }) {
  const [q, setQ] = useState("");
  const [kind, setKind] = useState<Kind>(props.filter === "channels" ? "channel" : "all");
  const open = route.value.page === "conversation" ? route.value.id : null;
  const needle = q.trim().toLowerCase();
  useEffect(() => void loadListPrefs(), []);
  const { pinned, archived } = listPrefs.value;
  const list = conversations.value.filter((c) => {
    // The archive is its own view; a search finds archived conversations too.
    if ((kind === "archived") !== archived.includes(c.id) && !(needle && kind === "all")) return false;
    if (kind === "unread" && c.unread === 0) return false;
    if ((kind === "direct" || kind === "group" || kind === "channel") && c.kind !== kind) return false;
    if (!needle) return true;
    return (
      conversationName(c).toLowerCase().includes(needle) ||
      preview(c.last, c.kind).toLowerCase().includes(needle)
    );
  });
  const found = useSearch(q);
  // Pinned first (in the order they were pinned), then newest first as the core sorts them.
  list.sort((a, b) => rank(pinned, a.id) - rank(pinned, b.id));
  const kinds: Kind[] = archived.length > 0 ? ["all", "unread", "direct", "group", "channel", "archived"] : ["all", "unread", "direct", "group", "channel"];
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
                  <Item key={c.id} c={c} open={c.id === open} pinned={pinned.includes(c.id)} />
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
            <Item key={c.id} c={c} open={c.id === open} pinned={pinned.includes(c.id)} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** A pinned conversation's place at the top; every other one after them. */
function rank(pinned: string[], id: string): number {
  const i = pinned.indexOf(id);
  return i < 0 ? pinned.length : i;
}

function Item(props: { c: ConversationView; open: boolean; pinned: boolean }) {
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
        <Avatar id={avatarId(c)} name={name} kind={c.kind} />
        <span class="item-body">
          <span class="item-top">
            <span class="item-name">{name}</span>
            {props.pinned && (
              <span class="item-pin" title={t("list.pinned")} aria-label={t("list.pinned")} data-testid="pinned">
                📌
              </span>
            )}
            {/* Beside the name, not in it: a long name is cut, the label never. */}
            {c.kind === "channel" && (
              <span class="tag item-tag">{role === "reader" ? t("kind.channelRead") : t("kind.channel")}</span>
            )}
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
                    : who + preview(last, c.kind)}
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
