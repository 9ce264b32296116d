// Small pieces every screen uses: fields with labels and errors, buttons, dialogs, avatars,
// and the text of an error in the person's language.
import type { ComponentChildren, CSSProperties, HTMLAttributes } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { ApiError } from "../lib/api";
import { isKontorError } from "../lib/device";
import { t, type Key } from "../lib/i18n";
import type { ErrorKind } from "../gen/ErrorKind";
import { toasts } from "../lib/state";
import { Icon } from "./icons";

/** Each kind of failure the core can raise, in the person's language (the type checker
 * fails when the core gains a kind without a text here); never the core's own wording. */
const KIND_TEXT: Record<Exclude<ErrorKind, "api" | "unreachable">, Key> = {
  not_linked: "error.notLinked",
  keeps_changing: "error.keepsChanging",
  stopped: "error.stopped",
  wrong_link_code: "error.wrongLinkCode",
  wrong_recovery_key: "error.wrongRecoveryKey",
  rejoining: "error.rejoining",
  core: "error.core",
  store: "error.store",
  missing: "error.missing",
  invalid: "error.core",
  unexpected: "error.generic",
};

/** What to tell the person about a failure. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === "unreachable") return t("error.unreachable");
    return e.message || t("error.generic");
  }
  if (isKontorError(e)) {
    if (e.kind === "api") return e.message || t("error.generic");
    // Only a message the core kept waits in the outbox; other changes did not happen.
    if (e.kind === "unreachable") return e.kept ? t("error.queued") : t("error.unreachable");
    return t(KIND_TEXT[e.kind] ?? "error.generic");
  }
  return t("error.generic");
}

export function Field(props: {
  label: string;
  name: string;
  type?: "text" | "email" | "password" | "search" | "url" | "tel";
  value: string;
  onInput: (v: string) => void;
  error?: string | null;
  hint?: string;
  autocomplete?: string;
  required?: boolean;
  autofocus?: boolean;
  placeholder?: string;
  inputmode?: HTMLAttributes["inputMode"];
}) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        // One literal for the checker: the kinds above take the same attributes.
        type={(props.type ?? "text") as "text"}
        value={props.value}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        autocomplete={props.autocomplete}
        required={props.required}
        autofocus={props.autofocus}
        placeholder={props.placeholder}
        inputMode={props.inputmode}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-err` : props.hint ? `${id}-hint` : undefined}
      />
      <FieldNotes id={id} hint={props.hint} error={props.error} />
    </div>
  );
}

/** A field's hint, or its error in place of the hint (for `aria-describedby`: `${id}-hint`,
 * `${id}-err`). */
export function FieldNotes(props: { id: string; hint?: string; error?: string | null }) {
  if (props.error) {
    return (
      <p class="error" id={`${props.id}-err`} role="alert">
        {props.error}
      </p>
    );
  }
  if (!props.hint) return null;
  return (
    <p class="hint" id={`${props.id}-hint`}>
      {props.hint}
    </p>
  );
}

/** A form's failure that none of its `fields` shows next to itself. */
export function FormError(props: { error: unknown; fields: string[] }) {
  if (!props.error || props.fields.includes(fieldOf(props.error) ?? "")) return null;
  return (
    <p class="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}

/** Which field an error is about, for showing it next to that field. */
export function fieldOf(e: unknown): string | null {
  if (e instanceof ApiError) return e.field ?? null;
  return null;
}

export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    // The first field or button, else the close button: the focus is in the dialog.
    const first =
      ref.current?.querySelector<HTMLElement>("input, textarea, select, button:not([data-close])") ??
      ref.current?.querySelector<HTMLElement>("button");
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") props.onClose();
    };
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("keydown", onKey);
      before?.focus?.();
    };
  }, []);
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div
        class={props.wide ? "dialog wide" : "dialog"}
        role="dialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        ref={ref}
      >
        <header>
          <h2 id="dialog-title">{props.title}</h2>
          <button class="icon" data-close onClick={props.onClose} aria-label={t("common.close")}>
            <Icon name="close" size={18} />
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}

function hue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
  return h;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? "?";
  const last = parts.length > 1 ? parts[parts.length - 1][0] : "";
  return (first + last).toUpperCase();
}

export function Avatar(props: { id: string; name: string; size?: "s" | "m" | "l"; kind?: string }) {
  const symbol = props.kind === "channel" ? <Icon name="channel" size={20} /> : initials(props.name);
  return (
    <span
      class={`avatar ${props.size ?? "m"}`}
      style={{ "--h": String(hue(props.id)) } as CSSProperties}
      aria-hidden="true"
    >
      {symbol}
    </span>
  );
}

export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.value.map((x) => (
        <div key={x.id} class={`toast ${x.kind}`}>
          {x.text}
        </div>
      ))}
    </div>
  );
}

export function Spinner(props: { label: string }) {
  return (
    <div class="spinner" role="status">
      <span class="dot" aria-hidden="true" />
      <span>{props.label}</span>
    </div>
  );
}

/** A button that shows it is busy and disables itself while `busy`. */
export function Busy(props: {
  busy: boolean;
  children: ComponentChildren;
  type?: "submit" | "button";
  class?: string;
  onClick?: () => void;
  label?: string;
  disabled?: boolean;
}) {
  return (
    <button
      type={props.type ?? "submit"}
      class={props.class ?? "primary"}
      disabled={props.busy || props.disabled}
      aria-busy={props.busy}
      aria-label={props.label}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}
