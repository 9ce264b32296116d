// Teams as the organisation is structured: departments, projects, sites, regions, patients
// or cases and free groups, nested (a ward inside a department); their members and leads.
// panel.tsx is the chosen team, rows.tsx the rows, dialogs.tsx a new team and deleting one.
import { useEffect, useRef, useState } from "preact/hooks";
import { listTeams } from "../../../lib/endpoints";
import { t } from "../../../lib/i18n";
import type { Team } from "../../../gen/Team";
import { errorText } from "../../common";
import { teamTree, useDirectory } from "../shared";
import { NewTeam } from "./dialogs";
import { TeamPanel } from "./panel";
import { TreeItem } from "./rows";

export function Teams() {
  const teams = useDirectory(listTeams, [], [] as Team[]);
  const [selected, setSelected] = useState<string | null>(null);

  const tree = teamTree(teams.data);
  const current = teams.data.find((x) => x.id === selected) ?? null;
  const panel = useRef<HTMLDivElement>(null);
  // On a phone the chosen team is below the tree: bring it into view when it is not.
  useEffect(() => {
    const el = panel.current;
    if (selected && el && el.getBoundingClientRect().top > innerHeight - 120) el.scrollIntoView({ block: "start" });
  }, [selected]);

  return (
    <section aria-labelledby="teams-h" data-testid="admin-teams">
      <h2 id="teams-h">{t("admin.section.teams")}</h2>
      <div class="admin-teams">
        <section class="card tree" aria-labelledby="teams-tree-h">
          <h3 id="teams-tree-h">{t("admin.teams.all")}</h3>
          {teams.error ? (
            <p class="error" role="alert">
              {errorText(teams.error)}
            </p>
          ) : null}
          {!teams.loading && tree.length === 0 && <p class="muted">{t("admin.teams.none")}</p>}
          <ul class="admin-tree" data-testid="team-tree">
            {tree.map((row) => (
              <TreeItem key={row.team.id} row={row} selected={row.team.id === selected} onSelect={() => setSelected(row.team.id)} />
            ))}
          </ul>
        </section>
        <div class="panel" ref={panel}>
          {current ? (
            <TeamPanel
              key={current.id}
              team={current}
              tree={tree}
              onChanged={(team) => teams.set((ts) => ts.map((x) => (x.id === team.id ? team : x)))}
              onDeleted={() => {
                setSelected(null);
                void teams.reload();
              }}
            />
          ) : (
            <p class="card muted">{tree.length > 0 ? t("admin.teams.pick") : t("admin.teams.startHint")}</p>
          )}
        </div>
        <NewTeam
          tree={tree}
          onCreated={(team) => {
            teams.set((ts) => [...ts.filter((x) => x.id !== team.id), team]);
            setSelected(team.id);
          }}
        />
      </div>
    </section>
  );
}
