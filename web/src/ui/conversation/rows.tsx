// The rows of a timeline: each message, with a day line before the first of each day and
// the sender's name only where it changes (or after a pause), and never in a direct chat.
import { formatDay } from "../../lib/i18n";
import type { ConversationKind } from "../../gen/ConversationKind";
import type { MessageView } from "../../gen/MessageView";
import { Message, type MessageActions } from "../Message";

/** A row of the timeline: a message, with a day line before the first of each day. */
export interface Row {
  key: string;
  m: MessageView;
  day: string | null;
  showSender: boolean;
}

function keyOf(m: MessageView): string {
  return m.queued ? `q:${m.id}` : `s:${m.seq}`;
}

/** In a direct chat the header names the other person: no name or avatar on their messages. */
export function rows(list: MessageView[], direct = false): Row[] {
  const out: Row[] = [];
  let prev: MessageView | null = null;
  let prevDay = "";
  for (const m of list) {
    const day = new Date(m.sent_ms).toDateString();
    const newDay = day !== prevDay;
    const showSender =
      !direct &&
      (newDay ||
      !prev ||
      prev.sender_person !== m.sender_person ||
      prev.body.type === "system" ||
      m.sent_ms - prev.sent_ms > 5 * 60_000);
    out.push({ key: keyOf(m), m, day: newDay ? formatDay(m.sent_ms) : null, showSender });
    prev = m;
    prevDay = day;
  }
  return out;
}

export function TimelineRow(props: { row: Row; actions: MessageActions; kind: ConversationKind }) {
  const { row } = props;
  return (
    <>
      {row.day && (
        <p class="day" role="separator">
          {row.day}
        </p>
      )}
      <Message m={row.m} showSender={row.showSender} kind={props.kind} actions={props.actions} />
    </>
  );
}
