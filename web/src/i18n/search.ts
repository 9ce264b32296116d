// Search on the device, in every conversation (over the list) and in one (in its header), in
// English and German. English is the key set; German must have every key, with the same
// {placeholders} (the type checker says when not).
import type { Translation } from "./types";

const en = {
  "search.all": "Search conversations and messages",
  "search.short": "Search",
  "search.messages": "Messages",
  "search.found": { one: "1 message found", other: "{n} messages found" },
  "search.shown": "the newest {n} shown",
  "search.none": "No message found on this device.",
  "search.open": "Search in this conversation",
  "search.here": "Search in {name}",
  "search.close": "Close the search",
  "search.deviceOnly": "Searched on this device only: the server cannot read messages.",
} as const;

const de: Translation<typeof en> = {
  "search.all": "Unterhaltungen und Nachrichten durchsuchen",
  "search.short": "Suchen",
  "search.messages": "Nachrichten",
  "search.found": { one: "1 Nachricht gefunden", other: "{n} Nachrichten gefunden" },
  "search.shown": "die neuesten {n} angezeigt",
  "search.none": "Keine Nachricht auf diesem Gerät gefunden.",
  "search.open": "In dieser Unterhaltung suchen",
  "search.here": "In {name} suchen",
  "search.close": "Suche schließen",
  "search.deviceOnly": "Nur auf diesem Gerät gesucht: Der Server kann Nachrichten nicht lesen.",
};

export default { en, de };
