// Pieces the admin sections share: reloading when the directory changes, labelled selects
// and checkboxes, a copy button, a confirmation dialog and the team tree.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { t, type Key } from "../../lib/i18n";
import { directoryChanged, me } from "../../lib/state";
import type { Role } from "../../gen/Role";
import type { Team } from "../../gen/Team";
import type { TeamKind } from "../../gen/TeamKind";
import { Busy, Dialog, FieldNotes } from "../common";

export const ROLES: Role[] = ["owner", "admin", "member", "guest"];
export const TEAM_KINDS: TeamKind[] = ["department", "project", "site", "region", "patient", "group"];

/** Runs `load` now, and again whenever people or teams change (events from the server). */
export function useReload(load: () => void | Promise<void>, deps: unknown[] = []): void {
  const version = directoryChanged.value;
  useEffect(() => {
    void load();
  }, [version, ...deps]);
}

/** Roles the signed-in admin may hand out: only owners make owners. */
export function grantableRoles(): Role[] {
  return me.value?.person.role === "owner" ? ROLES : ROLES.filter((r) => r !== "owner");
}

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

/** Asks before an action; `confirm` is the (danger) button's text. */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirm: string;
  busy: boolean;
  error?: string | null;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      {props.children}
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          {t("common.cancel")}
        </button>
        <Busy
          type="button"
          busy={props.busy}
          class={props.danger ? "primary admin-danger" : "primary"}
          onClick={props.onConfirm}
        >
          {props.confirm}
        </Busy>
      </div>
    </Dialog>
  );
}

export interface TreeRow {
  team: Team;
  depth: number;
  /** Names from the top-level team down to this one. */
  path: string[];
}

/** Teams in tree order (parents before their sub-teams, siblings by name). */
export function teamTree(teams: Team[]): TreeRow[] {
  const byParent = new Map<string | null, Team[]>();
  const ids = new Set(teams.map((x) => x.id));
  for (const team of teams) {
    // A parent that is not in the list (not visible) makes a team top-level here.
    const parent = team.parent_id && ids.has(team.parent_id) ? team.parent_id : null;
    byParent.set(parent, [...(byParent.get(parent) ?? []), team]);
  }
  const rows: TreeRow[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number, path: string[]) => {
    const children = (byParent.get(parent) ?? []).sort((a, b) => a.name.localeCompare(b.name));
    for (const team of children) {
      if (seen.has(team.id)) continue;
      seen.add(team.id);
      const here = [...path, team.name];
      rows.push({ team, depth, path: here });
      walk(team.id, depth + 1, here);
    }
  };
  walk(null, 0, []);
  return rows;
}

/** A team's name with its parents, for lists and selects: "Pflege › Station 1". */
export function teamPath(row: TreeRow): string {
  return row.path.join(" › ");
}

export function kindLabel(kind: TeamKind): string {
  return t(`admin.kind.${kind}` as Key);
}

export function roleLabel(role: Role): string {
  return t(`role.${role}`);
}

/** Bytes as people read them ("100 MB"). */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024 && n % (1024 * 1024 * 1024) === 0) return `${n / 1024 / 1024 / 1024} GB`;
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}
