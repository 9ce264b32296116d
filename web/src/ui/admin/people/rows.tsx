// One person in the People table: name, role (changed with a select and a save button),
// status, teams, and the buttons for what an admin may do to them.
import { formatDateTime, t } from "../../../lib/i18n";
import { me } from "../../../lib/state";
import type { Person } from "../../../gen/Person";
import type { OrgRole } from "../../../gen/OrgRole";
import { Avatar, errorText } from "../../common";
import { grantableRoles, mayManage, roleLabel } from "../shared";
import type { People } from "./usePeople";

export function PersonRow(props: { p: Person; people: People; onEdit: (p: Person) => void }) {
  const { p, people } = props;
  const self = p.id === me.value?.person.id;
  const locked = !mayManage(p);
  const busy = people.busy(p);
  return (
    <tr data-email={p.email} class={p.status !== "active" ? "inactive" : undefined}>
      <td>
        <span class="admin-person">
          <Avatar id={p.id} name={p.display_name} size="s" />
          <span class="person-body">
            <span class="person-name">
              {p.display_name}
              {self && <span class="tag">{t("person.you")}</span>}
            </span>
            <span class="muted small">{p.email}</span>
            {p.job_title && <span class="muted small">{p.job_title}</span>}
          </span>
        </span>
      </td>
      <td>
        <RoleCell p={p} people={people} locked={locked} />
      </td>
      <td>
        <span class={`tag admin-status ${p.status}`}>{t(`admin.status.${p.status}`)}</span>
        {/* Since when: the change of status (access ended, suspended), else joining. */}
        <span class="muted small admin-since" data-testid="status-since">
          {t("admin.people.since", { when: formatDateTime(Date.parse(p.status_since ?? p.created_at)) })}
        </span>
      </td>
      <td>
        {p.teams.length === 0 ? (
          <span class="muted">–</span>
        ) : (
          <ul class="admin-inline-list">
            {p.teams.map((m) => (
              <li key={m.team_id}>
                {m.name}
                {m.role === "lead" && <span class="tag">{t("admin.teams.lead")}</span>}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <div class="admin-row-buttons">
          {p.status !== "deprovisioned" && (self || !locked) && (
            <button
              type="button"
              class="small"
              onClick={() => props.onEdit(p)}
              aria-label={t("admin.people.editName", { name: p.display_name })}
            >
              {t("admin.people.edit")}
            </button>
          )}
          {!locked && p.status === "active" && (
            <button
              type="button"
              class="small"
              disabled={busy}
              onClick={() => people.ask("suspend", p)}
              aria-label={t("admin.people.suspendName", { name: p.display_name })}
            >
              {t("admin.people.suspend")}
            </button>
          )}
          {!locked && p.status === "suspended" && (
            <button
              type="button"
              class="small"
              disabled={busy}
              onClick={() => people.ask("reactivate", p)}
              aria-label={t("admin.people.reactivateName", { name: p.display_name })}
            >
              {t("admin.people.reactivate")}
            </button>
          )}
          {!locked && (
            <button
              type="button"
              class="small danger"
              disabled={busy}
              onClick={() => people.ask("deprovision", p)}
              aria-label={t("admin.people.deprovisionName", { name: p.display_name })}
            >
              {t("admin.people.deprovision")}
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

function RoleCell(props: { p: Person; people: People; locked: boolean }) {
  const { p, people } = props;
  const err = people.roleError(p);
  const draft = people.draft[p.id];
  const busy = people.busy(p);
  const roles = grantableRoles().includes(p.role) ? grantableRoles() : [p.role, ...grantableRoles()];
  return (
    <>
      {props.locked ? (
        <span>{roleLabel(p.role)}</span>
      ) : (
        <>
          <label class="sr-only" for={`role-${p.id}`}>
            {t("admin.people.roleOf", { name: p.display_name })}
          </label>
          <span class="admin-role">
            <select
              id={`role-${p.id}`}
              class="admin-inline"
              value={draft ?? p.role}
              disabled={busy}
              onChange={(e) => people.pickRole(p, (e.target as HTMLSelectElement).value as OrgRole)}
              aria-describedby={err ? `role-${p.id}-err` : undefined}
            >
              {roles.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
            {draft && (
              <button
                type="button"
                class="small primary"
                disabled={busy}
                onClick={() => people.saveRole(p, draft)}
                aria-label={t("admin.people.saveRole", { name: p.display_name, role: roleLabel(draft) })}
              >
                {t("common.save")}
              </button>
            )}
          </span>
        </>
      )}
      {err ? (
        <p class="error small" id={`role-${p.id}-err`} role="alert">
          {errorText(err)}
        </p>
      ) : null}
    </>
  );
}
