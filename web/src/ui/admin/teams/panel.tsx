// The chosen team: its members (roles changed in place, people added and removed) and its
// settings (name, kind, parent, description), and deleting it. useTeam.ts loads and changes.
import { t } from "../../../lib/i18n";
import type { Team } from "../../../gen/Team";
import type { TeamKind } from "../../../gen/TeamKind";
import { Busy, errorText, Field, fieldOf, FormError } from "../../common";
import { kindLabel, teamPath, type TreeRow } from "../shared";
import { SelectField } from "../fields";
import { AddMember } from "./AddMember";
import { ConfirmDelete } from "./dialogs";
import { MemberRow } from "./rows";
import { kindOptions, parentOptions } from "./tree";
import { useTeam } from "./useTeam";

function Failure(props: { error: unknown }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}

export function TeamPanel(props: {
  team: Team;
  tree: TreeRow[];
  onChanged: (team: Team) => void;
  onDeleted: () => void;
}) {
  const team = props.team;
  const s = useTeam(team, { changed: props.onChanged, deleted: props.onDeleted });
  const { form, edit } = s;
  const detail = s.detail.data;
  const error = s.save.error;
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);
  const row = props.tree.find((r) => r.team.id === team.id);
  const members = detail?.members ?? [];
  return (
    <div data-testid="team-panel">
      <section class="card" aria-labelledby="team-members-h">
        <h3 id="team-members-h">{row ? teamPath(row) : team.name}</h3>
        <p class="muted small">
          {kindLabel(team.kind)}
          {team.description && ` · ${team.description}`}
        </p>
        <h4>{t("admin.teams.membersOf", { name: team.name })}</h4>
        <Failure error={s.detail.error} />
        <Failure error={s.memberError} />
        {detail && members.length === 0 && <p class="muted">{t("admin.teams.noMembers")}</p>}
        {members.length > 0 && (
          <div class="table-wrap">
            <table class="admin-table compact" data-testid="team-members">
              <thead>
                <tr>
                  <th scope="col">{t("admin.people.name")}</th>
                  <th scope="col">{t("admin.teams.roleInTeam")}</th>
                  <th scope="col">
                    <span class="sr-only">{t("admin.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.map((m) => (
                  <MemberRow
                    key={m.person_id}
                    m={m}
                    team={team}
                    onRole={(role) => void s.setMember(m.person_id, role)}
                    onRemove={() => void s.removeMember(m)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <AddMember team={team} exclude={members.map((m) => m.person_id)} onAdd={s.setMember} />
      </section>
      <form class="card" onSubmit={s.save.submit} novalidate aria-labelledby="team-edit-h">
        <h3 id="team-edit-h">{t("admin.teams.settings")}</h3>
        <Field label={t("admin.teams.name")} name="team-name" value={form.name} onInput={(v) => edit("name", v)} error={at("name")} required />
        <SelectField
          label={t("admin.teams.kind")}
          name="team-kind"
          value={form.kind}
          onChange={(v) => edit("kind", v as TeamKind)}
          options={kindOptions()}
        />
        <SelectField
          label={t("admin.teams.parent")}
          name="team-parent"
          value={form.parent}
          onChange={(v) => edit("parent", v)}
          options={parentOptions(props.tree, team)}
          error={at("parent_id")}
        />
        <div class="field">
          <label for="f-team-description">{t("admin.teams.description")}</label>
          <textarea
            id="f-team-description"
            rows={2}
            value={form.description}
            onInput={(e) => edit("description", (e.target as HTMLTextAreaElement).value)}
          />
          {at("description") && (
            <p class="error" role="alert">
              {at("description")}
            </p>
          )}
        </div>
        <FormError error={error} fields={["name", "parent_id", "description"]} />
        {detail && detail.children.length > 0 && (
          <p class="muted small">
            {t("admin.teams.children", { names: detail.children.map((c) => c.name).join(", ") })}
          </p>
        )}
        <div class="actions">
          <button type="button" class="danger" onClick={s.askDelete}>
            {t("admin.teams.delete")}
          </button>
          <Busy busy={s.save.busy || s.remove.busy} disabled={!form.name.trim()}>
            {t("common.save")}
          </Busy>
        </div>
      </form>

      {s.deleting && (
        <ConfirmDelete
          team={team}
          busy={s.save.busy || s.remove.busy}
          error={s.remove.error}
          onConfirm={s.remove.submit}
          onClose={s.cancelDelete}
        />
      )}
    </div>
  );
}
