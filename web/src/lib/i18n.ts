// German and English: the browser's language unless the person picks one. Every text shown
// is looked up here; dictionaries live in src/i18n/ (English is the key set, German must
// have every key — the type checker says when one is missing).
import { signal } from "@preact/signals";
import { app } from "../i18n/app";
import { admin } from "../i18n/admin";

export type Lang = "de" | "en";
const KEY = "kontor.lang";

function initial(): Lang {
  const saved = localStorage.getItem(KEY);
  if (saved === "de" || saved === "en") return saved;
  return (navigator.languages ?? [navigator.language]).some((l) => l.toLowerCase().startsWith("de"))
    ? "de"
    : "en";
}

export const lang = signal<Lang>(initial());
document.documentElement.lang = lang.value;

export function setLang(l: Lang): void {
  lang.value = l;
  localStorage.setItem(KEY, l);
  document.documentElement.lang = l;
}

const en = { ...app.en, ...admin.en };
const de: Record<keyof typeof en, string> = { ...app.de, ...admin.de };
export type Key = keyof typeof en;

/** The text for `key` in the current language; `{name}` placeholders filled from `vars`. */
export function t(key: Key, vars?: Record<string, string | number>): string {
  let s: string = (lang.value === "de" ? de : en)[key] ?? key;
  if (vars) {
    for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  }
  return s;
}

/** A time of day or a date, the way people read it in their language. */
export function formatTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const locale = lang.value === "de" ? "de-DE" : "en-GB";
  const today = new Date(now);
  const sameDay = d.toDateString() === today.toDateString();
  if (sameDay) return d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  const days = (now - ms) / 86_400_000;
  if (days < 6) return d.toLocaleDateString(locale, { weekday: "short" });
  return d.toLocaleDateString(locale, { day: "2-digit", month: "2-digit", year: "2-digit" });
}

export function formatDateTime(ms: number): string {
  const locale = lang.value === "de" ? "de-DE" : "en-GB";
  return new Date(ms).toLocaleString(locale, {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

export function formatDay(ms: number): string {
  const locale = lang.value === "de" ? "de-DE" : "en-GB";
  return new Date(ms).toLocaleDateString(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  });
}
