// One invitation in the list: who, which role, its state, when it was made and expires.
import { formatDateTime, t } from "../../../lib/i18n";
import type { Invitation } from "../../../gen/Invitation";
import { roleLabel } from "../shared";
import { invitationState } from "./useInvitations";

export function InvitationRow(props: { i: Invitation; onRevoke: () => void }) {
  const { i } = props;
  const state = invitationState(i);
  return (
    <tr data-email={i.email}>
      <td>
        <span class="person-body">
          <span>{i.email}</span>
          {i.display_name && <span class="muted small">{i.display_name}</span>}
        </span>
      </td>
      <td>{roleLabel(i.role)}</td>
      <td>
        <span class={`tag admin-inv ${state}`}>{t(`admin.invite.state.${state}`)}</span>
      </td>
      <td class="admin-nowrap">{formatDateTime(Date.parse(i.created_at))}</td>
      <td class="admin-nowrap">
        {state === "accepted" && i.accepted_at
          ? t("admin.invite.acceptedAt", { when: formatDateTime(Date.parse(i.accepted_at)) })
          : formatDateTime(Date.parse(i.expires_at))}
      </td>
      <td>
        {state === "open" && (
          <button
            type="button"
            class="small danger"
            onClick={props.onRevoke}
            aria-label={t("admin.invite.revokeFor", { email: i.email })}
          >
            {t("admin.invite.revoke")}
          </button>
        )}
      </td>
    </tr>
  );
}
