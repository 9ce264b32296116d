// Where a team may move in the tree: not under itself, not under one of its own sub-teams.
import { t } from "../../../lib/i18n";
import type { Team } from "../../../gen/Team";
import { kindLabel, TEAM_KINDS, teamPath, type TreeRow } from "../shared";

export const kindOptions = () => TEAM_KINDS.map((k) => ({ value: k, label: kindLabel(k) }));

/** Teams a team may move under: not itself, not one of its own sub-teams. */
function possibleParents(tree: TreeRow[], team: Team | null): TreeRow[] {
  if (!team) return tree;
  return tree.filter((row) => !isBelow(tree, row.team, team.id));
}

/** Is `candidate` the team `ancestor` or one of its sub-teams? */
function isBelow(tree: TreeRow[], candidate: Team, ancestor: string): boolean {
  let cur: Team | undefined = candidate;
  const seen = new Set<string>();
  while (cur) {
    if (cur.id === ancestor) return true;
    if (seen.has(cur.id)) return false;
    seen.add(cur.id);
    const parent: string | null = cur.parent_id;
    cur = parent ? tree.find((r) => r.team.id === parent)?.team : undefined;
  }
  return false;
}

export function parentOptions(tree: TreeRow[], team: Team | null) {
  return [
    { value: "", label: t("admin.teams.noParent") },
    ...possibleParents(tree, team).map((row) => ({ value: row.team.id, label: teamPath(row) })),
  ];
}
