// The Invitations section's form and dialogs: inviting one person, the one-time link and
// code of a new invitation, and asking before one is revoked.
import { formatDateTime, t } from "../../../lib/i18n";
import type { InvitationCreated } from "../../../gen/InvitationCreated";
import type { OrgRole } from "../../../gen/OrgRole";
import { Busy, errorText, Field, fieldOf, FormError } from "../../common";
import { ConfirmDialog, grantableRoles, roleLabel, teamPath, teamTree } from "../shared";
import { SecretField, SelectField } from "../fields";
import type { Invitations } from "./useInvitations";

/** The one-time link and code of a new invitation. */
export function CreatedInvitation(props: { created: InvitationCreated; onDone: () => void }) {
  const c = props.created;
  return (
    <section class="card admin-created" aria-labelledby="created-h" data-testid="invitation-created">
      <h3 id="created-h">{t("admin.invite.created", { email: c.invitation.email })}</h3>
      <p class="admin-warning" role="status">
        {t("admin.invite.onlyNow")}
      </p>
      <SecretField label={t("admin.invite.link")} name="invite-link" value={c.link} />
      <SecretField label={t("admin.invite.code")} name="invite-code" value={c.code} />
      <p class="muted small">
        {t("admin.invite.expires", { when: formatDateTime(Date.parse(c.invitation.expires_at)) })}
      </p>
      <div class="actions">
        <button type="button" onClick={props.onDone}>
          {t("admin.invite.done")}
        </button>
      </div>
    </section>
  );
}

export function InviteForm(props: { inv: Invitations }) {
  const { form, edit, invite } = props.inv;
  const error = invite.error;
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);
  const tree = teamTree(props.inv.teams);
  return (
    <form class="card" onSubmit={invite.submit} novalidate aria-labelledby="inv-new-h">
      <h3 id="inv-new-h">{t("admin.invite.title")}</h3>
      <p class="muted">{t("admin.invite.intro")}</p>
      <div class="admin-grid">
        <Field
          label={t("admin.invite.email")}
          name="invite-email"
          type="email"
          value={form.email}
          onInput={(v) => edit("email", v)}
          error={at("email")}
          autocomplete="off"
          required
        />
        <Field
          label={t("admin.invite.name")}
          name="invite-name"
          value={form.name}
          onInput={(v) => edit("name", v)}
          error={at("display_name")}
          hint={t("admin.invite.nameHint")}
          autocomplete="off"
        />
        <SelectField
          label={t("admin.invite.role")}
          name="invite-role"
          value={form.role}
          onChange={(v) => edit("role", v as OrgRole)}
          options={grantableRoles().map((r) => ({ value: r, label: roleLabel(r) }))}
          error={at("role")}
          hint={t(`admin.roleHint.${form.role}`)}
        />
      </div>
      {tree.length > 0 && (
        <fieldset class="admin-fieldset">
          <legend>{t("admin.invite.teams")}</legend>
          <div class="admin-checks">
            {tree.map((row) => (
              <label key={row.team.id} class="check">
                <input
                  type="checkbox"
                  checked={form.teamIds.includes(row.team.id)}
                  onChange={(e) => {
                    const on = (e.target as HTMLInputElement).checked;
                    edit("teamIds", (ids) => (on ? [...ids, row.team.id] : ids.filter((x) => x !== row.team.id)));
                  }}
                />
                {teamPath(row)}
              </label>
            ))}
          </div>
          {at("team_ids") && (
            <p class="error" role="alert">
              {at("team_ids")}
            </p>
          )}
        </fieldset>
      )}
      <FormError error={error} fields={["email", "display_name", "role", "team_ids"]} />
      <div class="actions">
        <Busy busy={props.inv.busy} disabled={!form.email.trim()}>
          {t("admin.invite.submit")}
        </Busy>
      </div>
    </form>
  );
}

export function ConfirmRevoke(props: { inv: Invitations }) {
  const { revoking, revoke } = props.inv;
  if (!revoking) return null;
  return (
    <ConfirmDialog
      title={t("admin.invite.revokeTitle")}
      confirm={t("admin.invite.revoke")}
      danger
      busy={props.inv.busy}
      error={revoke.error ? errorText(revoke.error) : null}
      onConfirm={revoke.submit}
      onClose={props.inv.cancelRevoke}
    >
      <p>{t("admin.invite.revokeText", { email: revoking.email })}</p>
    </ConfirmDialog>
  );
}
