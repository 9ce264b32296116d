// Everybody in the organisation, including suspended and removed accounts: find them, change
// their role and profile, suspend and reactivate them, and end their access for good.
// usePeople.ts loads and changes; rows.tsx shows one person; dialogs.tsx asks and edits.
import { useState } from "preact/hooks";
import { t, tn } from "../../../lib/i18n";
import { me } from "../../../lib/state";
import type { Person } from "../../../gen/Person";
import { errorText, Field } from "../../common";
import { ORG_ROLES } from "../../../gen/roles";
import { roleLabel, teamPath, teamTree, useCellLabels } from "../shared";
import { CheckField, SelectField } from "../fields";
import { ConfirmStatus, EditProfile } from "./dialogs";
import { PersonRow } from "./rows";
import { usePeople } from "./usePeople";

export function People() {
  const cells = useCellLabels();
  const people = usePeople();
  const f = people.filters;
  const [editing, setEditing] = useState<Person | null>(null);
  const tree = teamTree(people.teams);
  const roleOptions = [{ value: "", label: t("admin.people.anyRole") }, ...ORG_ROLES.map((r) => ({ value: r, label: roleLabel(r) }))];
  const teamOptions = [{ value: "", label: t("admin.people.anyTeam") }, ...tree.map((row) => ({ value: row.team.id, label: teamPath(row) }))];

  return (
    <section aria-labelledby="people-h" data-testid="admin-people">
      <h2 id="people-h">{t("admin.section.people")}</h2>
      <div class="card">
        <div class="admin-filters">
          <Field
            label={t("admin.people.search")}
            name="people-q"
            type="search"
            value={f.q}
            onInput={f.setQ}
            placeholder={t("admin.people.searchHint")}
          />
          <SelectField label={t("admin.people.role")} name="people-role" value={f.role} onChange={f.setRole} options={roleOptions} />
          <SelectField label={t("admin.people.team")} name="people-team" value={f.team} onChange={f.setTeam} options={teamOptions} />
        </div>
        <CheckField label={t("admin.people.includeInactive")} name="people-inactive" checked={f.inactive} onChange={f.setInactive} />
        <p class="muted small" aria-live="polite">
          {people.loading ? t("common.loading") : tn("admin.people.count", people.total)}
        </p>
        {people.error ? (
          <p class="error" role="alert">
            {errorText(people.error)}
          </p>
        ) : null}
        <div class="table-wrap">
          <table ref={cells} class="admin-table stack admin-people">
            <caption class="sr-only">{t("admin.section.people")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.people.name")}</th>
                <th scope="col">{t("admin.people.role")}</th>
                <th scope="col">{t("admin.people.status")}</th>
                <th scope="col">{t("admin.people.teams")}</th>
                <th scope="col">
                  <span class="sr-only">{t("admin.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {people.people.map((p) => (
                <PersonRow key={p.id} p={p} people={people} onEdit={setEditing} />
              ))}
            </tbody>
          </table>
        </div>
        {!people.loading && people.people.length === 0 && !people.error && <p class="muted">{t("admin.people.none")}</p>}
        {people.next !== null && (
          <div class="actions">
            <button type="button" onClick={people.more}>
              {t("admin.loadMore")}
            </button>
          </div>
        )}
      </div>
      {editing && (
        <EditProfile
          person={editing}
          onClose={() => setEditing(null)}
          onSaved={(p) => {
            people.replace(p);
            if (me.value && p.id === me.value.person.id) me.value = { ...me.value, person: p };
            setEditing(null);
          }}
        />
      )}
      <ConfirmStatus people={people} />
    </section>
  );
}
