// Small things this person arranged on this device (pinned and archived conversations,
// colleagues marked verified, recent emoji): a signal read once from the IndexedDB cache and
// written back on each change. The cache goes at logout; `forgetKept` empties the signals too.
import { signal, type Signal } from "@preact/signals";
import { loadCache, saveCache } from "./db";

export interface Kept<T> {
  value: Signal<T>;
  /** Reads the kept copy, the first time only. */
  load(): Promise<void>;
  set(v: T): void;
}

const all: Array<() => void> = [];

/** `read` makes what an older app kept into the current shape. */
export function kept<T>(key: string, empty: () => T, read: (v: T) => T = (v) => v): Kept<T> {
  const value = signal<T>(empty());
  let loading: Promise<void> | null = null;
  all.push(() => {
    loading = null;
    value.value = empty();
  });
  return {
    value,
    load: () =>
      (loading ??= loadCache<T>(key)
        .catch(() => null)
        .then((v) => {
          if (v !== null) value.value = read(v);
        })),
    set: (v: T) => {
      value.value = v;
      void saveCache(key, v).catch(() => undefined);
    },
  };
}

/** At the session's end: nothing of this person's arrangement stays in memory. */
export function forgetKept(): void {
  for (const f of all) f();
}
