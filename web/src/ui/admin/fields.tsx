// Form pieces of the admin sections: labelled selects, number fields and checkboxes, a copy
// button, and a one-time secret with its copy button.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../../lib/i18n";
import { FieldNotes } from "../common";

export function SelectField(props: {
  label: string;
  name: string;
  value: string;
  onChange: (v: string) => void;
  options: { value: string; label: string }[];
  error?: string | null;
  hint?: string;
  disabled?: boolean;
}) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-err` : props.hint ? `${id}-hint` : undefined}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldNotes id={id} hint={props.hint} error={props.error} />
    </div>
  );
}

export function CheckField(props: {
  label: string;
  name: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  hint?: string;
  error?: string | null;
}) {
  const id = `f-${props.name}`;
  return (
    <div class="field admin-check">
      <div class="check">
        <input
          id={id}
          name={props.name}
          type="checkbox"
          checked={props.checked}
          onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
          aria-describedby={props.error ? `${id}-err` : props.hint ? `${id}-hint` : undefined}
        />
        <label for={id}>{props.label}</label>
      </div>
      <FieldNotes id={id} hint={props.hint} error={props.error} />
    </div>
  );
}

/** A whole number field with its label, hint and error. */
export function NumberField(props: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  min: number;
  max: number;
  step?: string;
  unit: string;
  hint?: string;
  error?: string | null;
}) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <div class="admin-unit">
        <input
          id={id}
          name={props.name}
          type="number"
          inputMode="decimal"
          min={props.min}
          max={props.max}
          step={props.step ?? "1"}
          value={props.value}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={props.error ? `${id}-err` : props.hint ? `${id}-hint` : undefined}
        />
        <span aria-hidden="true">{props.unit}</span>
      </div>
      {props.hint && !props.error && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error" id={`${id}-err`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/** Copies `text`; when the browser refuses, selects it in `fallback` for Ctrl+C. */
export function CopyButton(props: {
  text: string;
  label?: string;
  /** The button's text (default: "Copy"). */
  children?: ComponentChildren;
  fallback?: () => HTMLInputElement | null;
}) {
  const [done, setDone] = useState(false);
  const timer = useRef<number>(0);
  useEffect(() => () => clearTimeout(timer.current), []);
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone(true);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setDone(false), 2500) as unknown as number;
    } catch {
      const input = props.fallback?.();
      input?.focus();
      input?.select();
    }
  }
  return (
    <button type="button" class="small" onClick={copy} aria-label={props.label}>
      {done ? t("admin.copied") : (props.children ?? t("admin.copy"))}
    </button>
  );
}

/** A one-time secret (link or code) in a read-only field with a copy button. */
export function SecretField(props: { label: string; name: string; value: string }) {
  const ref = useRef<HTMLInputElement>(null);
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <div class="admin-copy">
        <input
          id={id}
          ref={ref}
          readOnly
          value={props.value}
          onFocus={(e) => (e.target as HTMLInputElement).select()}
        />
        <CopyButton text={props.value} label={t("admin.copyWhat", { what: props.label })} fallback={() => ref.current} />
      </div>
    </div>
  );
}
