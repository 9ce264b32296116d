// Pieces the admin sections share: loading what reloads when the directory changes, roles,
// a confirmation dialog and the team tree. Form fields are in fields.tsx.
import type { ComponentChildren, RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t, type Key } from "../../lib/i18n";
import { directoryChanged, me } from "../../lib/state";
import type { OrgRole } from "../../gen/OrgRole";
import type { Person } from "../../gen/Person";
import { MANAGES } from "../../gen/roles";
import type { Team } from "../../gen/Team";
import type { TeamKind } from "../../gen/TeamKind";
import { Busy, Dialog } from "../common";
import { useResource, type Resource } from "../hooks";

export const TEAM_KINDS: TeamKind[] = ["department", "project", "site", "region", "patient", "group"];

/** For a table that becomes a list of cards on a phone (class `stack`, admin.css): each cell
 * is labelled with its column's heading, kept up to date as rows come and go. A column
 * whose heading is only for screen readers (the buttons) gets no label. */
export function useCellLabels(): RefObject<HTMLTableElement | null> {
  const ref = useRef<HTMLTableElement>(null);
  useEffect(() => {
    const table = ref.current;
    if (!table) return;
    const label = () => {
      const heads = [...table.querySelectorAll("thead th")].map((th) =>
        th.querySelector(".sr-only")?.textContent === th.textContent ? "" : (th.textContent ?? ""),
      );
      for (const tr of table.querySelectorAll("tbody tr")) {
        [...tr.children].forEach((td, i) => {
          const l = heads[i] ?? "";
          if ((td as HTMLElement).dataset.label !== l) (td as HTMLElement).dataset.label = l;
        });
      }
    };
    label();
    const watch = new MutationObserver(label);
    watch.observe(table, { childList: true, subtree: true });
    return () => watch.disconnect();
  }, []);
  return ref;
}

/** `useResource` that also reloads whenever people or teams change (events from the server). */
export function useDirectory<T>(load: () => Promise<T>, deps: unknown[], initial: T): Resource<T> {
  return useResource(load, [directoryChanged.value, ...deps], initial);
}

/** Roles the signed-in admin may hand out (the server's rule, generated: only owners make
 * owners). */
export function grantableRoles(): readonly OrgRole[] {
  const mine = me.value?.person.role;
  return mine ? MANAGES[mine] : [];
}

/** Whether the signed-in admin may change this person's role or status: not their own, not
 * an owner's unless they are one, never after deprovisioning. */
export function mayManage(p: Person): boolean {
  const mine = me.value?.person.role;
  return (
    p.id !== me.value?.person.id &&
    p.status !== "deprovisioned" &&
    !!mine &&
    MANAGES[mine].includes(p.role)
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

export function roleLabel(role: OrgRole): string {
  return t(`role.${role}`);
}

/** Bytes as people read them ("100 MB"). */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024 && n % (1024 * 1024 * 1024) === 0) return `${n / 1024 / 1024 / 1024} GB`;
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}
