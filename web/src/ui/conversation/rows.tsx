// The rows of a timeline: each message, with a day line before the first of each day and
// the sender's name only where it changes (or after a pause).
import { formatDay } from "../../lib/i18n";
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

export function rows(list: MessageView[]): Row[] {
  const out: Row[] = [];
  let prev: MessageView | null = null;
  let prevDay = "";
  for (const m of list) {
    const day = new Date(m.sent_ms).toDateString();
    const newDay = day !== prevDay;
    const showSender =
      newDay ||
      !prev ||
      prev.sender_person !== m.sender_person ||
      prev.body.type === "system" ||
      m.sent_ms - prev.sent_ms > 5 * 60_000;
    out.push({ key: keyOf(m), m, day: newDay ? formatDay(m.sent_ms) : null, showSender });
    prev = m;
    prevDay = day;
  }
  return out;
}

export function TimelineRow(props: { row: Row; actions: MessageActions }) {
  const { row } = props;
  return (
    <>
      {row.day && (
        <p class="day" role="separator">
          {row.day}
        </p>
      )}
      <Message m={row.m} showSender={row.showSender} actions={props.actions} />
    </>
  );
}
