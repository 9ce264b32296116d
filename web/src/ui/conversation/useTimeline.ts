// The messages of one conversation on this device: the newest page when it opens, older
// pages while scrolling up, new and changed messages as they come (`timelineChanged`), and
// marking as read what is in view.
import { useEffect, useRef, useState } from "preact/hooks";
import { device, timelineChanged } from "../../lib/state";
import { refreshConversations } from "../../lib/session";
import type { ConversationView } from "../../gen/ConversationView";
import type { MessageView } from "../../gen/MessageView";
import { useResource } from "../hooks";

const PAGE = 100;

/** Merges a fresh page of the newest messages into what is loaded. */
function merge(loaded: MessageView[], fresh: MessageView[]): MessageView[] {
  const bySeq = new Map<number, MessageView>();
  for (const m of loaded) if (!m.queued) bySeq.set(m.seq, m);
  for (const m of fresh) if (!m.queued) bySeq.set(m.seq, m);
  const sent = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return [...sent, ...fresh.filter((m) => m.queued)];
}

interface Loaded {
  /** The conversation these messages are of: another one's never show. */
  id: string | null;
  messages: MessageView[];
  more: boolean;
}

export function useTimeline(id: string, view: ConversationView | undefined) {
  const timeline = useResource<Loaded>(
    async () => {
      const page = await device().timeline(id, undefined, PAGE);
      return { id, messages: page.messages, more: page.more };
    },
    [id],
    { id: null, messages: [], more: false },
  );
  const loaded = timeline.data.id === id;
  const messages = loaded ? timeline.data.messages : [];
  const more = timeline.data.more;
  // Pages that come after another conversation was opened are dropped.
  const setMessages = (f: (old: MessageView[]) => MessageView[], more?: boolean) =>
    timeline.set((d) => (d.id === id ? { ...d, messages: f(d.messages), more: more ?? d.more } : d));

  // Scrolled to the bottom when a conversation's first page is in, and after sending.
  const [bottomTick, setBottomTick] = useState(0);
  useEffect(() => {
    if (loaded) setBottomTick((x) => x + 1);
  }, [timeline.data.id]);
  const toBottom = () => setBottomTick((x) => x + 1);

  const atBottom = useRef(true);
  const list = useRef<MessageView[]>([]);
  list.current = messages;

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
      setMessages(() => next);
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

  // One older page at a time, while scrolling up.
  const loadingOlder = useRef(false);
  async function older() {
    if (loadingOlder.current || !more) return;
    const first = list.current.find((m) => !m.queued);
    if (!first) return;
    loadingOlder.current = true;
    try {
      const page = await device().timeline(id, first.seq, PAGE);
      setMessages((cur) => {
        const oldest = cur.find((m) => !m.queued)?.seq ?? Infinity;
        return [...page.messages.filter((m) => m.seq < oldest), ...cur];
      }, page.more);
    } finally {
      loadingOlder.current = false;
    }
  }

  /** Loads everything from the oldest loaded message back to `seq` (one call), so that the
   * timeline can show it; whether it is there. */
  async function reach(seq: number): Promise<boolean> {
    const first = list.current.find((m) => !m.queued);
    if (first && first.seq > seq && more) {
      // Timeline messages are at most as many as the sequence numbers between.
      const page = await device().timeline(id, first.seq, first.seq - seq + PAGE);
      setMessages((cur) => {
        const oldest = cur.find((m) => !m.queued)?.seq ?? Infinity;
        return [...page.messages.filter((m) => m.seq < oldest), ...cur];
      }, page.more);
      return page.messages.some((m) => m.seq === seq);
    }
    return list.current.some((m) => !m.queued && m.seq === seq);
  }

  return { messages, loaded, older, reach, atBottom, bottomTick, toBottom };
}
