// Rows of the Teams section: a team in the tree, a member of the chosen team, and a person
// who could be added to it.
import { t, tn } from "../../../lib/i18n";
import type { Person } from "../../../gen/Person";
import type { Team } from "../../../gen/Team";
import type { TeamMember } from "../../../gen/TeamMember";
import type { TeamRole } from "../../../gen/TeamRole";
import { Avatar } from "../../common";
import { kindLabel, type TreeRow } from "../shared";

export function TreeItem(props: { row: TreeRow; selected: boolean; onSelect: () => void }) {
  const { row } = props;
  return (
    <li style={{ paddingInlineStart: `${row.depth * 1.1}rem` }}>
      <button
        type="button"
        class={props.selected ? "admin-tree-item on" : "admin-tree-item"}
        aria-pressed={props.selected}
        onClick={props.onSelect}
        data-team={row.team.name}
      >
        {row.depth > 0 && (
          <span class="admin-branch" aria-hidden="true">
            └
          </span>
        )}
        <span class="admin-tree-name">{row.team.name}</span>
        <span class="tag">{kindLabel(row.team.kind)}</span>
        <span class="muted small">
          {tn("admin.teams.members", row.team.member_count)}
        </span>
        {row.depth > 0 && <span class="sr-only">{t("admin.teams.subOf", { name: row.path[row.path.length - 2] })}</span>}
      </button>
    </li>
  );
}

export function MemberRow(props: {
  m: TeamMember;
  team: Team;
  onRole: (role: TeamRole) => void;
  onRemove: () => void;
}) {
  const { m } = props;
  return (
    <tr data-member={m.display_name}>
      <td>
        <span class="admin-person">
          <Avatar id={m.person_id} name={m.display_name} size="s" />
          <span class="person-name">{m.display_name}</span>
        </span>
      </td>
      <td>
        <label class="sr-only" for={`tm-${m.person_id}`}>
          {t("admin.teams.roleOf", { name: m.display_name })}
        </label>
        <select
          id={`tm-${m.person_id}`}
          class="admin-inline"
          value={m.role}
          onChange={(e) => props.onRole((e.target as HTMLSelectElement).value as TeamRole)}
        >
          <option value="member">{t("admin.teams.member")}</option>
          <option value="lead">{t("admin.teams.lead")}</option>
        </select>
      </td>
      <td>
        <button
          type="button"
          class="small danger"
          onClick={props.onRemove}
          aria-label={t("admin.teams.removeName", { name: m.display_name, team: props.team.name })}
        >
          {t("admin.teams.remove")}
        </button>
      </td>
    </tr>
  );
}

export function CandidateRow(props: { p: Person; busy: boolean; onAdd: (role: TeamRole) => void }) {
  const { p } = props;
  return (
    <li data-email={p.email}>
      <Avatar id={p.id} name={p.display_name} size="s" />
      <span class="person-body">
        <span class="person-name">{p.display_name}</span>
        <span class="muted small">{p.email}</span>
      </span>
      <span class="admin-row-buttons">
        <button
          type="button"
          class="small"
          disabled={props.busy}
          onClick={() => props.onAdd("member")}
          aria-label={t("admin.teams.addName", { name: p.display_name })}
        >
          {t("admin.teams.addAsMember")}
        </button>
        <button
          type="button"
          class="small"
          disabled={props.busy}
          onClick={() => props.onAdd("lead")}
          aria-label={t("admin.teams.addLeadName", { name: p.display_name })}
        >
          {t("admin.teams.addAsLead")}
        </button>
      </span>
    </li>
  );
}
