// What the panel of one team loads and does: its members and sub-teams, saving its settings,
// deleting it, and adding, changing and removing members.
import { useState } from "preact/hooks";
import { deleteTeam, getTeam, removeTeamMember, setTeamMember, updateTeam } from "../../../lib/endpoints";
import { t } from "../../../lib/i18n";
import { toast } from "../../../lib/state";
import type { Team } from "../../../gen/Team";
import type { TeamKind } from "../../../gen/TeamKind";
import type { TeamMember } from "../../../gen/TeamMember";
import type { TeamRole } from "../../../gen/TeamRole";
import { useSubmit } from "../../hooks";
import { useDirectory } from "../shared";

export interface TeamForm {
  name: string;
  kind: TeamKind;
  parent: string;
  description: string;
}

export function useTeam(team: Team, on: { changed: (team: Team) => void; deleted: () => void }) {
  const detail = useDirectory(() => getTeam(team.id), [team.id], null);

  const [form, setForm] = useState<TeamForm>({
    name: team.name,
    kind: team.kind,
    parent: team.parent_id ?? "",
    description: team.description,
  });
  const edit = <K extends keyof TeamForm>(k: K, v: TeamForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const save = useSubmit(async () => {
    const changed = await updateTeam(team.id, {
      name: form.name.trim(),
      kind: form.kind,
      parent_id: form.parent || null,
      clear_parent: !form.parent,
      description: form.description.trim(),
    });
    on.changed(changed);
    toast(t("admin.teams.saved", { name: changed.name }));
  });

  const [deleting, setDeleting] = useState(false);
  const remove = useSubmit(async () => {
    await deleteTeam(team.id);
    toast(t("admin.teams.deleted", { name: team.name }));
    setDeleting(false);
    on.deleted();
  });

  // Changes to the members share one failure to show: the newest.
  const member = useSubmit((change: () => Promise<void>) => change());
  /** Adds a member or changes their role; the list is loaded again either way. */
  const setMember = (userId: string, role: TeamRole): Promise<boolean> =>
    member.run(async () => {
      try {
        await setTeamMember(team.id, userId, role);
      } finally {
        await detail.reload();
      }
    });
  const removeMember = (m: TeamMember) =>
    member.run(async () => {
      await removeTeamMember(team.id, m.person_id);
      toast(t("admin.teams.memberRemoved", { name: m.display_name, team: team.name }));
      await detail.reload();
    });

  return {
    detail,
    form,
    edit,
    save,
    deleting,
    askDelete: () => {
      remove.setError(null);
      setDeleting(true);
    },
    cancelDelete: () => setDeleting(false),
    remove,
    setMember,
    removeMember,
    memberError: member.error,
  };
}
