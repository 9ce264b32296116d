// What the Invitations section loads and does: the invitations and teams, inviting one
// person (the link and code come back once), and revoking an open invitation.
import { useState } from "preact/hooks";
import { createInvitation, listInvitations, listTeams, revokeInvitation } from "../../../lib/endpoints";
import { t } from "../../../lib/i18n";
import { toast } from "../../../lib/state";
import type { Invitation } from "../../../gen/Invitation";
import type { InvitationCreated } from "../../../gen/InvitationCreated";
import type { OrgRole } from "../../../gen/OrgRole";
import type { Team } from "../../../gen/Team";
import { useSubmit } from "../../hooks";
import { useDirectory } from "../shared";

export type InvitationState = "open" | "accepted" | "revoked" | "expired";

export function invitationState(i: Invitation, now = Date.now()): InvitationState {
  if (i.accepted_at) return "accepted";
  if (i.revoked) return "revoked";
  if (Date.parse(i.expires_at) <= now) return "expired";
  return "open";
}

export interface InviteForm {
  email: string;
  name: string;
  role: OrgRole;
  teamIds: string[];
}

const empty: InviteForm = { email: "", name: "", role: "member", teamIds: [] };

export function useInvitations() {
  const list = useDirectory(
    async () => {
      const [invitations, teams] = await Promise.all([listInvitations(), listTeams()]);
      return { invitations, teams };
    },
    [],
    { invitations: [] as Invitation[], teams: [] as Team[] },
  );

  const [form, setForm] = useState<InviteForm>(empty);
  const edit = <K extends keyof InviteForm>(k: K, v: InviteForm[K] | ((old: InviteForm[K]) => InviteForm[K])) =>
    setForm((f) => ({ ...f, [k]: typeof v === "function" ? (v as (old: InviteForm[K]) => InviteForm[K])(f[k]) : v }));
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const invite = useSubmit(async () => {
    const c = await createInvitation({
      email: form.email.trim(),
      role: form.role,
      display_name: form.name.trim() || null,
      team_ids: form.teamIds,
      profile: null,
    });
    setCreated(c);
    setForm(empty);
    await list.reload();
  });

  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const revoke = useSubmit(async () => {
    if (!revoking) return;
    await revokeInvitation(revoking.id);
    toast(t("admin.invite.revoked", { email: revoking.email }));
    setRevoking(null);
    await list.reload();
  });

  return {
    ...list.data,
    loading: list.loading,
    loadError: list.error,
    form,
    edit,
    invite,
    created,
    dismissCreated: () => setCreated(null),
    revoking,
    askRevoke: (i: Invitation) => {
      revoke.setError(null);
      setRevoking(i);
    },
    cancelRevoke: () => setRevoking(null),
    revoke,
    /** Inviting and revoking share the busy state, as they share the server's answer. */
    busy: invite.busy || revoke.busy,
  };
}

export type Invitations = ReturnType<typeof useInvitations>;
