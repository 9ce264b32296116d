// A menu that opens from a button and stays on the screen: below the button where there is
// room, above it where there is not, never past an edge; on a phone a sheet at the bottom
// that no message, composer or screen edge can cut. Arrow keys, Home and End move through
// its items; Escape, Tab or a tap outside close it and give the focus back to the button.
import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { Icon } from "./icons";

/** Narrower than this, a menu is a sheet at the bottom of the screen. */
const SHEET_BELOW = 600;
const MARGIN = 8;

export function MenuButton(props: {
  label: string;
  /** The items: buttons with `role="menuitem"`; `close` shuts the menu before acting. */
  children: (close: () => void) => ComponentChildren;
  /** Called when the menu opens or closes (the row keeps its button visible meanwhile). */
  onOpen?: (open: boolean) => void;
  testId?: string;
}) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const [place, setPlace] = useState<{ top: number; left: number } | "sheet" | null>(null);

  const show = (on: boolean) => {
    setOpen(on);
    setPlace(null);
    props.onOpen?.(on);
  };
  const close = (refocus = true) => {
    show(false);
    if (refocus) button.current?.focus();
  };

  useLayoutEffect(() => {
    if (!open) return;
    const el = menu.current;
    const at = button.current?.getBoundingClientRect();
    if (!el || !at) return;
    if (innerWidth < SHEET_BELOW) {
      setPlace("sheet");
    } else {
      const m = el.getBoundingClientRect();
      const below = innerHeight - at.bottom - MARGIN;
      const top =
        below >= m.height ? at.bottom + 4 : Math.max(MARGIN, Math.min(at.top - m.height - 4, innerHeight - m.height - MARGIN));
      const left = Math.min(Math.max(MARGIN, at.right - m.width), innerWidth - m.width - MARGIN);
      setPlace({ top, left });
    }
    // The button it hangs from moves when the page scrolls or resizes: close instead of
    // pointing at the wrong message.
    const away = (e: Event) => {
      if (!(e.target instanceof Node) || !el.contains(e.target)) close(false);
    };
    addEventListener("scroll", away, true);
    addEventListener("resize", away);
    return () => {
      removeEventListener("scroll", away, true);
      removeEventListener("resize", away);
    };
  }, [open]);

  // Once placed (a hidden element takes no focus), the first item has it.
  useLayoutEffect(() => {
    if (place) menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [place]);

  const onKey = (e: KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const go = (j: number) => {
      e.preventDefault();
      items[(j + items.length) % items.length]?.focus();
    };
    switch (e.key) {
      case "ArrowDown":
      case "ArrowRight":
        return go(i + 1);
      case "ArrowUp":
      case "ArrowLeft":
        return go(i - 1);
      case "Home":
        return go(0);
      case "End":
        return go(items.length - 1);
      case "Escape":
        e.preventDefault();
        e.stopPropagation();
        return close();
      case "Tab":
        return close();
    }
  };

  const sheet = place === "sheet";
  return (
    <>
      <button
        type="button"
        class="icon"
        ref={button}
        aria-label={props.label}
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid={props.testId}
        onClick={() => show(!open)}
      >
        <Icon name="more" />
      </button>
      {open && (
        <>
          <div class={sheet ? "menu-backdrop dim" : "menu-backdrop"} onClick={() => close()} />
          <div
            class={sheet ? "menu-pop sheet" : "menu-pop"}
            role="menu"
            aria-label={props.label}
            ref={menu}
            onKeyDown={onKey}
            data-testid="menu"
            style={
              place && place !== "sheet"
                ? { top: `${place.top}px`, left: `${place.left}px` }
                : // Measured first, out of sight, then placed.
                  sheet
                  ? undefined
                  : { top: "0px", left: "0px", visibility: "hidden" }
            }
          >
            {props.children(() => close())}
          </div>
        </>
      )}
    </>
  );
}
