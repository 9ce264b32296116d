// A virtualised list for long timelines: only the rows near the viewport are in the DOM
// (10,000 messages scroll like 50). Heights are measured as rows render; what is on screen
// stays put when rows above it change or older ones are added at the top; at the bottom, the
// list follows new rows.
import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

interface Props<T> {
  items: T[];
  itemKey: (item: T) => string;
  render: (item: T, index: number) => JSX.Element;
  /** Height of a row not measured yet. */
  estimate?: number;
  /** Pixels rendered beyond the viewport, above and below. */
  overscan?: number;
  /** Called when the person scrolls near the top (load older rows). */
  onNearTop?: () => void;
  /** Called when the bottom is in view (or no longer). */
  onBottom?: (atBottom: boolean) => void;
  /** Change to jump to the bottom. */
  toBottom?: number;
  /** Change `n` to scroll the row of this key to the middle of the view. */
  scrollTo?: { key: string; n: number };
  label: string;
  testId?: string;
}

function lowerBound(offsets: Float64Array, n: number, y: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1] <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function VirtualList<T>(props: Props<T>) {
  const box = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const atBottom = useRef(true);
  const latest = useRef<{ keys: string[]; offsets: Float64Array }>({
    keys: [],
    offsets: new Float64Array(1),
  });
  /** The geometry the DOM has since the last layout effect, and where it was scrolled. */
  const committed = useRef<{ keys: string[]; offsets: Float64Array } | null>(null);
  const lastTop = useRef(0);
  const [view, setView] = useState({ top: 0, height: 800 });
  const [, remeasured] = useState(0);
  const frame = useRef(0);

  const est = props.estimate ?? 72;
  const over = props.overscan ?? 800;
  const keys = props.items.map(props.itemKey);
  const n = keys.length;
  const offsets = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + (heights.current.get(keys[i]) ?? est);
  latest.current = { keys, offsets };
  const total = offsets[n];
  const start = Math.max(0, lowerBound(offsets, n, view.top - over));
  const end = Math.min(n, lowerBound(offsets, n, view.top + view.height + over) + 1);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    // 1. Where the person is, read in the geometry they saw: they may have scrolled since
    //    the list last placed itself, before the scroll event told it.
    const seen = committed.current;
    if (seen && Math.abs(el.scrollTop - lastTop.current) > 0.5) {
      const i = lowerBound(seen.offsets, seen.keys.length, el.scrollTop);
      if (i < seen.keys.length) anchor.current = { key: seen.keys[i], delta: el.scrollTop - seen.offsets[i] };
      atBottom.current = seen.offsets[seen.keys.length] - el.scrollTop - el.clientHeight < 8;
    }
    // 2. Keep it there in this render's geometry (or follow the bottom).
    if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else if (anchor.current) {
      const i = keys.indexOf(anchor.current.key);
      if (i >= 0) {
        const target = offsets[i] + anchor.current.delta;
        if (Math.abs(el.scrollTop - target) > 0.5) el.scrollTop = target;
      }
    }
    lastTop.current = el.scrollTop;
    committed.current = { keys, offsets };
    // 3. Measure the rows now in the DOM; when heights changed, render (and place) again.
    let changed = false;
    for (const row of el.querySelectorAll<HTMLElement>(":scope > [data-vkey]")) {
      const k = row.dataset.vkey as string;
      const h = row.offsetHeight;
      if (h > 0 && heights.current.get(k) !== h) {
        heights.current.set(k, h);
        changed = true;
      }
    }
    if (changed) remeasured((x) => x + 1);
  });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      setView({ top: el.scrollTop, height: el.clientHeight });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    if (props.toBottom === undefined) return;
    atBottom.current = true;
    const el = box.current;
    if (el) {
      el.scrollTop = el.scrollHeight;
      lastTop.current = el.scrollTop;
    }
  }, [props.toBottom]);

  const target = props.scrollTo ? keys.indexOf(props.scrollTo.key) : -1;
  useLayoutEffect(() => {
    const el = box.current;
    const to = props.scrollTo;
    const i = target;
    if (!el || !to || i < 0) return;
    // Held there (the anchor) while the rows around it are measured.
    atBottom.current = false;
    anchor.current = { key: to.key, delta: -Math.max(0, (el.clientHeight - est) / 2) };
    el.scrollTop = offsets[i] + anchor.current.delta;
    lastTop.current = el.scrollTop;
    setView({ top: el.scrollTop, height: el.clientHeight });
  }, [props.scrollTo?.n, target >= 0]);

  function onScroll() {
    const el = box.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
    if (bottom !== atBottom.current) props.onBottom?.(bottom);
    atBottom.current = bottom;
    const { keys: k, offsets: o } = committed.current ?? latest.current;
    const i = lowerBound(o, k.length, el.scrollTop);
    if (i < k.length) anchor.current = { key: k[i], delta: el.scrollTop - o[i] };
    lastTop.current = el.scrollTop;
    if (el.scrollTop < over) props.onNearTop?.();
    if (!frame.current) {
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        setView({ top: el.scrollTop, height: el.clientHeight });
      });
    }
  }

  return (
    <div
      class="vlist"
      ref={box}
      onScroll={onScroll}
      role="log"
      aria-label={props.label}
      tabIndex={0}
      data-testid={props.testId}
      data-rows={n}
    >
      <div class="vspace" style={{ height: `${offsets[start]}px` }} />
      {props.items.slice(start, end).map((item, j) => (
        <div class="vrow" key={keys[start + j]} data-vkey={keys[start + j]}>
          {props.render(item, start + j)}
        </div>
      ))}
      <div class="vspace" style={{ height: `${total - offsets[end]}px` }} />
    </div>
  );
}
