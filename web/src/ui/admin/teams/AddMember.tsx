// Finding a person to add to a team, as member or as lead.
import { useState } from "preact/hooks";
import { searchDirectory } from "../../../lib/endpoints";
import { t } from "../../../lib/i18n";
import { toast } from "../../../lib/state";
import type { Person } from "../../../gen/Person";
import type { Team } from "../../../gen/Team";
import type { TeamRole } from "../../../gen/TeamRole";
import { errorText, Field } from "../../common";
import { useDebounced, useResource, useSubmit } from "../../hooks";
import { CandidateRow } from "./rows";

export function AddMember(props: { team: Team; exclude: string[]; onAdd: (userId: string, role: TeamRole) => Promise<boolean> }) {
  const [q, setQ] = useState("");
  const query = useDebounced(q.trim(), 200);
  const found = useResource(async () => (await searchDirectory({ limit: 20, q: query })).people, [query], []);

  const [adding, setAdding] = useState<string | null>(null);
  const add = useSubmit(async (p: Person, role: TeamRole) => {
    if (await props.onAdd(p.id, role))
      toast(t(role === "lead" ? "admin.teams.addedLead" : "admin.teams.added", { name: p.display_name, team: props.team.name }));
  });

  const shown = found.data.filter((p) => !props.exclude.includes(p.id) && p.status === "active").slice(0, 8);
  return (
    <div class="admin-add-member">
      <h4>{t("admin.teams.add")}</h4>
      <Field
        label={t("admin.teams.findPerson")}
        name="team-find"
        type="search"
        value={q}
        onInput={setQ}
        placeholder={t("admin.people.searchHint")}
        autocomplete="off"
      />
      {found.error ? (
        <p class="error" role="alert">
          {errorText(found.error)}
        </p>
      ) : null}
      {shown.length === 0 ? (
        <p class="muted small">{t("admin.teams.nobodyToAdd")}</p>
      ) : (
        <ul class="admin-candidates" data-testid="team-candidates">
          {shown.map((p) => (
            <CandidateRow
              key={p.id}
              p={p}
              busy={add.busy && adding === p.id}
              onAdd={(role) => {
                setAdding(p.id);
                void add.run(p, role);
              }}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
