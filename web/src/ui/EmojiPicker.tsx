// Every emoji, for reactions and the composer: the ones used lately first, then by group,
// found by their name in the person's language ("Daumen", "thumbs"). The data (Unicode's
// emoji with CLDR names, from emojibase-data) is loaded only when a picker first opens;
// the recent ones stay in this browser's IndexedDB and go with the rest at logout.
import { useEffect, useRef, useState } from "preact/hooks";
import { kept } from "../lib/kept";
import { lang, t, type Key } from "../lib/i18n";
import { Dialog } from "./common";

interface Emoji {
  unicode: string;
  label: string;
  tags?: string[];
  group?: number;
  order?: number;
}

/** Unicode's groups as emojibase numbers them; 2 (skin tone and hair parts) is not shown. */
const GROUPS = [0, 1, 3, 4, 5, 6, 7, 8, 9];
const RECENT_KEY = "recent-emoji";
const RECENT_MAX = 24;

const loaded = new Map<string, Promise<Emoji[]>>();

function emojiData(language: string): Promise<Emoji[]> {
  let p = loaded.get(language);
  if (!p) {
    p = (language === "de"
      ? import("emojibase-data/de/compact.json")
      : import("emojibase-data/en/compact.json")
    ).then((m) =>
      (m.default as Emoji[])
        .filter((e) => e.group !== undefined && e.group !== 2)
        .sort((a, b) => (a.order ?? 0) - (b.order ?? 0)),
    );
    loaded.set(language, p);
  }
  return p;
}

const recent = kept<string[]>(RECENT_KEY, () => []);

/** Remembers an emoji as used (also the quick reactions and the picker's choices). */
export async function usedEmoji(emoji: string): Promise<void> {
  await recent.load();
  recent.set([emoji, ...recent.value.value.filter((e) => e !== emoji)].slice(0, RECENT_MAX));
}

function fold(s: string): string {
  return s.toLocaleLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
}

export function EmojiPicker(props: { title: string; onPick: (emoji: string) => void; onClose: () => void }) {
  const [all, setAll] = useState<Emoji[] | null>(null);
  const [q, setQ] = useState("");
  const [group, setGroup] = useState<number | "recent">(recent.value.value.length > 0 ? "recent" : 0);
  const grid = useRef<HTMLDivElement>(null);
  useEffect(() => {
    void recent.load();
    void emojiData(lang.value).then(setAll);
  }, [lang.value]);
  const mine = recent.value.value;

  const needle = fold(q.trim());
  let shown: Emoji[] = [];
  if (all) {
    if (needle) {
      shown = all.filter((e) => fold(e.label).includes(needle) || e.tags?.some((x) => fold(x).startsWith(needle))).slice(0, 200);
    } else if (group === "recent") {
      const by = new Map(all.map((e) => [e.unicode, e]));
      shown = mine.map((u) => by.get(u) ?? { unicode: u, label: u });
    } else {
      shown = all.filter((e) => e.group === group);
    }
  }

  /** Arrow keys move through the grid, eight to a row. */
  const onKey = (e: KeyboardEvent) => {
    const cells = [...(grid.current?.querySelectorAll<HTMLButtonElement>("button") ?? [])];
    const i = cells.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    const per = Math.max(1, Math.round((grid.current?.clientWidth ?? 320) / (cells[0]?.offsetWidth || 40)));
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: per, ArrowUp: -per }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    cells[Math.min(cells.length - 1, Math.max(0, i + step))]?.focus();
  };

  const pick = (u: string) => {
    void usedEmoji(u);
    props.onPick(u);
  };
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <div class="emoji-picker" data-testid="emoji-picker">
        <div class="field">
          <label for="emoji-q">{t("emoji.search")}</label>
          <input id="emoji-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </div>
        {!needle && (
          <div class="emoji-groups" role="tablist" aria-label={t("emoji.groups")}>
            {mine.length > 0 && (
              <button
                type="button"
                role="tab"
                aria-selected={group === "recent"}
                class={group === "recent" ? "chip on" : "chip"}
                onClick={() => setGroup("recent")}
              >
                {t("emoji.recent")}
              </button>
            )}
            {GROUPS.map((g) => (
              <button
                key={g}
                type="button"
                role="tab"
                aria-selected={group === g}
                class={group === g ? "chip on" : "chip"}
                onClick={() => setGroup(g)}
              >
                {t(`emoji.group.${g}` as Key)}
              </button>
            ))}
          </div>
        )}
        {!all ? (
          <p class="muted">{t("common.loading")}</p>
        ) : shown.length === 0 ? (
          <p class="muted">{t("emoji.none")}</p>
        ) : (
          <div class="emoji-grid" ref={grid} onKeyDown={onKey} data-testid="emoji-grid">
            {shown.map((e) => (
              <button
                key={e.unicode}
                type="button"
                title={e.label}
                aria-label={e.label}
                onClick={() => pick(e.unicode)}
              >
                {e.unicode}
              </button>
            ))}
          </div>
        )}
      </div>
    </Dialog>
  );
}
