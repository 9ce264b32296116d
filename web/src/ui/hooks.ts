// The two ways a screen talks to the server: `useResource` for what it shows (loaded when
// the screen opens and again when its inputs change), `useSubmit` for what it does (a form's
// submit or a button). Both keep the busy and error state, so no component hand-rolls it.
import { useEffect, useRef, useState } from "preact/hooks";

export interface Resource<T> {
  /** The newest answer (`initial` until the first one arrives). */
  data: T;
  /** The newest failure; cleared by the next answer. */
  error: unknown;
  /** No answer yet: later reloads keep showing the old data instead. */
  loading: boolean;
  /** Loads again now; resolves when this answer (or a newer one) is in. */
  reload: () => Promise<void>;
  /** Replaces the data here (after a change the server confirmed). */
  set: (f: T | ((old: T) => T)) => void;
}

/**
 * Loads `load()` now and again whenever one of `deps` changes. Reading a signal's `.value`
 * in `deps` (e.g. `directoryChanged.value`) reloads on that signal. An answer that arrives
 * after a newer request was sent, or after the component is gone, is dropped.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[], initial: T): Resource<T>;
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T | undefined>;
export function useResource<T>(load: () => Promise<T>, deps: unknown[], initial?: T): Resource<T | undefined> {
  const [data, set] = useState<T | undefined>(initial);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const current = useRef(load);
  current.current = load;

  async function reload() {
    const n = ++latest.current;
    try {
      const d = await current.current();
      if (n !== latest.current) return;
      set(() => d);
      setError(null);
    } catch (e) {
      if (n === latest.current) setError(e);
    } finally {
      if (n === latest.current) setLoading(false);
    }
  }

  useEffect(() => {
    void reload();
  }, deps);
  // Gone: whatever is still on the way is stale.
  useEffect(
    () => () => {
      latest.current++;
    },
    [],
  );
  return { data, error, loading, reload, set };
}

/** A form's submit or a button's action: busy while `action` runs, its failure kept to show. */
export function useSubmit<A extends unknown[] = []>(action: (...args: A) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** Runs `action`; resolves `true` when it worked, `false` when it failed (see `error`). */
  async function run(...args: A): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await action(...args);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }
  /** For `onSubmit`: keeps the browser from submitting the form itself. */
  async function submit(e?: Event): Promise<void> {
    e?.preventDefault();
    await run(...([] as unknown as A));
  }
  return { busy, error, setError, submit, run };
}

/** `value`, but only once it stayed the same for `ms` (typing waits before asking the server). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    if (key === JSON.stringify(settled)) return;
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [key]);
  return settled;
}
