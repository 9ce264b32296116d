// Inviting one person: the link and code are shown once, right after; the list of
// invitations shows which are open, accepted, expired or revoked.
// useInvitations.ts loads and changes; rows.tsx is one invitation; dialogs.tsx the rest.
import { useState } from "preact/hooks";
import { t } from "../../../lib/i18n";
import { errorText } from "../../common";
import { useCellLabels } from "../shared";
import { ConfirmRevoke, CreatedInvitation, InviteForm } from "./dialogs";
import { InvitationRow } from "./rows";
import { invitationState, useInvitations } from "./useInvitations";

export function Invitations() {
  const cells = useCellLabels();
  const inv = useInvitations();
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? inv.invitations : inv.invitations.filter((i) => invitationState(i) === "open");
  const hidden = inv.invitations.length - shown.length;

  return (
    <section aria-labelledby="inv-h" data-testid="admin-invitations">
      <h2 id="inv-h">{t("admin.section.invitations")}</h2>
      {inv.created && <CreatedInvitation created={inv.created} onDone={inv.dismissCreated} />}
      <InviteForm inv={inv} />

      <section class="card" aria-labelledby="inv-list-h">
        <h3 id="inv-list-h">{t("admin.invite.list")}</h3>
        <div class="check">
          <input id="inv-all" type="checkbox" checked={showAll} onChange={(e) => setShowAll((e.target as HTMLInputElement).checked)} />
          <label for="inv-all">{t("admin.invite.showAll")}</label>
        </div>
        {inv.loadError ? (
          <p class="error" role="alert">
            {errorText(inv.loadError)}
          </p>
        ) : null}
        {!inv.loading && shown.length === 0 ? (
          <p class="muted">{hidden > 0 ? t("admin.invite.noneOpen", { n: hidden }) : t("admin.invite.none")}</p>
        ) : (
          <div class="table-wrap">
            <table ref={cells} class="admin-table stack" data-testid="invitation-list">
              <thead>
                <tr>
                  <th scope="col">{t("admin.invite.email")}</th>
                  <th scope="col">{t("admin.invite.role")}</th>
                  <th scope="col">{t("admin.invite.state")}</th>
                  <th scope="col">{t("admin.invite.createdAt")}</th>
                  <th scope="col">{t("admin.invite.expiresAt")}</th>
                  <th scope="col">
                    <span class="sr-only">{t("admin.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((i) => (
                  <InvitationRow key={i.id} i={i} onRevoke={() => inv.askRevoke(i)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <ConfirmRevoke inv={inv} />
    </section>
  );
}
