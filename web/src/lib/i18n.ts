// German and English: the browser's language unless the person picks one. Every text shown
// is looked up here; dictionaries live in src/i18n/, one per screen (English is the key set,
// German must have every key with the same placeholders — the type checker says when not).
// `t()` takes exactly the placeholders its English text has; `tn()` picks a text by number
// with the language's plural rule.
import { signal } from "@preact/signals";
import admin from "../i18n/admin";
import audit from "../i18n/audit";
import auth from "../i18n/auth";
import branding from "../i18n/branding";
import card from "../i18n/card";
import chat from "../i18n/chat";
import common from "../i18n/common";
import csvImport from "../i18n/import";
import invitations from "../i18n/invitations";
import people from "../i18n/people";
import policies from "../i18n/policies";
import profile from "../i18n/profile";
import search from "../i18n/search";
import teams from "../i18n/teams";
import type { Plural, Vars } from "../i18n/types";

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

const screens = [common, auth, chat, card, search, profile, admin, people, invitations, csvImport, teams, policies, audit, branding];
const en = {
  ...common.en,
  ...auth.en,
  ...chat.en,
  ...card.en,
  ...search.en,
  ...profile.en,
  ...admin.en,
  ...people.en,
  ...invitations.en,
  ...csvImport.en,
  ...teams.en,
  ...policies.en,
  ...audit.en,
  ...branding.en,
};
type En = typeof en;
const de = Object.assign({}, ...screens.map((s) => s.de)) as Record<keyof En, string | Plural>;

/** A key of a plain text. */
export type Key = { [K in keyof En]: En[K] extends string ? K : never }[keyof En];
/** A key of a text that depends on a number. */
export type PluralKey = { [K in keyof En]: En[K] extends Plural ? K : never }[keyof En];

type Values = Record<string, string | number>;
/** What `t(key, …)` takes after the key: the placeholders of its English text, exactly. A key
 * only known at run time (`… as Key`) takes any. */
type Args<K extends Key> = [Key] extends [K]
  ? [vars?: Values]
  : [Vars<En[K]>] extends [never]
    ? []
    : [vars: Record<Vars<En[K]>, string | number>];
type PluralVars<K extends PluralKey> = Exclude<Vars<En[K] extends Plural ? En[K]["one"] | En[K]["other"] : never>, "n">;
type PluralArgs<K extends PluralKey> = [PluralVars<K>] extends [never] ? [] : [vars: Record<PluralVars<K>, string | number>];

function fill(s: string, vars?: Values): string {
  if (vars) {
    for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  }
  return s;
}

function lookup(key: keyof En): string | Plural | undefined {
  return (lang.value === "de" ? de : en)[key];
}

/** The text for `key` in the current language; `{name}` placeholders filled from `vars`. */
export function t<K extends Key>(key: K, ...[vars]: Args<K>): string {
  const s = lookup(key);
  return fill(typeof s === "string" ? s : key, vars);
}

const rules = { de: new Intl.PluralRules("de-DE"), en: new Intl.PluralRules("en-GB") };

/** The text for `n` of something (`{n}` is filled, and the other placeholders from `vars`):
 * the form `Intl.PluralRules` picks for the current language, `one` or `other`. */
export function tn<K extends PluralKey>(key: K, n: number, ...[vars]: PluralArgs<K>): string {
  const forms = lookup(key);
  if (!forms || typeof forms === "string") return key;
  const form = rules[lang.value].select(n) === "one" ? forms.one : forms.other;
  return fill(form, { ...vars, n });
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
