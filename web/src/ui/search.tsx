// Search on the device: the core searches the decrypted history (the server cannot); this
// draws what it found — who, when, where, and the snippet with the matches marked — and
// opens a result: the conversation, scrolled to the message (`jumpTo`, which the open
// conversation follows).
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { formatTime, t, tn } from "../lib/i18n";
import { navigate } from "../lib/router";
import { conversations, device, me } from "../lib/state";
import type { SearchHit } from "../gen/SearchHit";
import type { SearchResults } from "../gen/SearchResults";
import { Icon } from "./icons";
import { conversationName, personName } from "./names";

const isMe = (person: string) => person === me.value?.person.id;

/** How many results a search shows. */
const LIMIT = 50;

/** The message a conversation should scroll to once it is open (`n` tells two jumps to the
 * same message apart). */
export const jumpTo = signal<{ id: string; seq: number; n: number } | null>(null);

/** Opens a result: its conversation, scrolled to the message. */
export function openHit(hit: SearchHit): void {
  jumpTo.value = { id: hit.conversation_id, seq: hit.seq, n: (jumpTo.value?.n ?? 0) + 1 };
  navigate(`/c/${hit.conversation_id}`);
}

/** What the core finds for `query` (in one conversation, or all), as the person types. */
export function useSearch(query: string, conversation?: string): SearchResults | null {
  const [found, setFound] = useState<SearchResults | null>(null);
  useEffect(() => {
    if (!query.trim()) {
      setFound(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      const start = performance.now();
      void device()
        .search(query, conversation, LIMIT)
        .then((r) => {
          // For the benchmark (bench/web/search.mjs): how long the core took, as the app sees it.
          performance.measure("kontor:search", { start, detail: { total: r.total } });
          if (live) setFound(r);
        })
        .catch(() => live && setFound(null));
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query, conversation]);
  return query.trim() ? found : null;
}

/** A snippet with its matches in `<mark>` (marks count characters, not UTF-16 units). */
export function Snippet(props: { text: string; marks: [number, number][] }) {
  const chars = Array.from(props.text);
  const parts = [];
  let at = 0;
  for (const [a, b] of props.marks) {
    if (a > at) parts.push(chars.slice(at, a).join(""));
    parts.push(<mark key={a}>{chars.slice(a, b).join("")}</mark>);
    at = b;
  }
  if (at < chars.length) parts.push(chars.slice(at).join(""));
  return <span class="snippet">{parts}</span>;
}

/** The results of a search: how many, and each found message (with its conversation's name
 * when searching every conversation). */
export function SearchHits(props: {
  found: SearchResults;
  everywhere: boolean;
  /** What a click does (else: open the conversation at the message). */
  onPick?: (hit: SearchHit) => void;
}) {
  const { found } = props;
  return (
    <section class="hits" aria-label={t("search.messages")} data-testid="search-results">
      <p class="hits-count" role="status">
        {found.total === 0 ? (
          t("search.none")
        ) : (
          <>
            {tn("search.found", found.total)}
            {found.total > found.hits.length && ` · ${t("search.shown", { n: found.hits.length })}`}
          </>
        )}
      </p>
      {found.hits.length > 0 && (
        <ul class="items">
          {found.hits.map((h) => (
            <Hit
              key={`${h.conversation_id}:${h.seq}`}
              hit={h}
              everywhere={props.everywhere}
              onPick={props.onPick ?? openHit}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function Hit(props: { hit: SearchHit; everywhere: boolean; onPick: (hit: SearchHit) => void }) {
  const h = props.hit;
  const view = conversations.value.find((c) => c.id === h.conversation_id);
  const where = view ? conversationName(view) : "";
  // A direct chat is named after the other person: their name once is enough.
  const who = view?.kind === "direct" && !isMe(h.sender_person) ? null : personName(h.sender_person);
  return (
    <li>
      <a
        href={`/c/${h.conversation_id}`}
        class="item hit"
        data-hit={`${h.conversation_id}:${h.seq}`}
        onClick={(e) => {
          e.preventDefault();
          props.onPick(h);
        }}
      >
        <span class="item-body">
          <span class="item-top">
            <span class="item-name">
              {props.everywhere ? (
                <>
                  {where}
                  {who && <span class="hit-who"> · {who}</span>}
                </>
              ) : (
                personName(h.sender_person)
              )}
            </span>
            <time class="item-time">{formatTime(Number(h.sent_ms))}</time>
          </span>
          <span class="hit-text">
            <Snippet text={h.snippet} marks={h.marks} />
          </span>
        </span>
      </a>
    </li>
  );
}

/** The search in one conversation: a bar under its header, the results over the timeline;
 * picking one scrolls the timeline to it. */
export function ConversationSearch(props: {
  id: string;
  name: string;
  onPick: (hit: SearchHit) => void;
  onClose: () => void;
}) {
  const [q, setQ] = useState("");
  const [open, setOpen] = useState(true);
  const found = useSearch(q, props.id);
  return (
    <div
      class="conv-search"
      onKeyDown={(e) => {
        if (e.key === "Escape") props.onClose();
      }}
    >
      <div class="conv-search-bar">
        <input
          type="search"
          aria-label={t("search.here", { name: props.name })}
          placeholder={t("search.here", { name: props.name })}
          value={q}
          autoFocus
          onInput={(e) => {
            setQ((e.target as HTMLInputElement).value);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
          data-testid="conversation-search"
        />
        <button type="button" class="icon" aria-label={t("search.close")} onClick={props.onClose}>
          <Icon name="close" />
        </button>
      </div>
      {found && open && (
        <div class="conv-search-pop">
          <SearchHits
            found={found}
            everywhere={false}
            onPick={(h) => {
              setOpen(false);
              props.onPick(h);
            }}
          />
        </div>
      )}
    </div>
  );
}
