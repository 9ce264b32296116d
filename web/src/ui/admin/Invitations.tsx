// Inviting one person: the link and code are shown once, right after; the list of
// invitations shows which are open, accepted, expired or revoked.
import { useState } from "preact/hooks";
import { api } from "../../lib/api";
import { formatDateTime, t } from "../../lib/i18n";
import { toast } from "../../lib/state";
import type { CreateInvitationRequest } from "../../gen/CreateInvitationRequest";
import type { Invitation } from "../../gen/Invitation";
import type { InvitationCreated } from "../../gen/InvitationCreated";
import type { Role } from "../../gen/Role";
import type { Team } from "../../gen/Team";
import { Busy, errorText, Field, fieldOf, FormError } from "../common";
import { ConfirmDialog, grantableRoles, roleLabel, SecretField, SelectField, teamPath, teamTree, useReload } from "./shared";

export type InvitationState = "open" | "accepted" | "revoked" | "expired";

export function invitationState(i: Invitation, now = Date.now()): InvitationState {
  if (i.accepted_at) return "accepted";
  if (i.revoked) return "revoked";
  if (Date.parse(i.expires_at) <= now) return "expired";
  return "open";
}

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

export function Invitations() {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [showAll, setShowAll] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [revokeError, setRevokeError] = useState<unknown>(null);
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  async function load() {
    try {
      const [list, ts] = await Promise.all([api<Invitation[]>("GET", "/invitations"), api<Team[]>("GET", "/teams")]);
      setInvitations(list);
      setTeams(ts);
      setLoadError(null);
    } catch (e) {
      setLoadError(e);
    } finally {
      setLoaded(true);
    }
  }
  useReload(load);

  async function invite(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: CreateInvitationRequest = {
        email: email.trim(),
        role,
        display_name: name.trim() || null,
        team_ids: teamIds,
        profile: null,
      };
      const c = await api<InvitationCreated>("POST", "/invitations", body);
      setCreated(c);
      setEmail("");
      setName("");
      setRole("member");
      setTeamIds([]);
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function revoke() {
    if (!revoking) return;
    setBusy(true);
    setRevokeError(null);
    try {
      await api("DELETE", `/invitations/${revoking.id}`);
      toast(t("admin.invite.revoked", { email: revoking.email }));
      setRevoking(null);
      await load();
    } catch (err) {
      setRevokeError(err);
    } finally {
      setBusy(false);
    }
  }

  const tree = teamTree(teams);
  const shown = showAll ? invitations : invitations.filter((i) => invitationState(i) === "open");
  const hidden = invitations.length - shown.length;

  return (
    <section aria-labelledby="inv-h" data-testid="admin-invitations">
      <h2 id="inv-h">{t("admin.section.invitations")}</h2>
      {created && <CreatedInvitation created={created} onDone={() => setCreated(null)} />}
      <form class="card" onSubmit={invite} novalidate aria-labelledby="inv-new-h">
        <h3 id="inv-new-h">{t("admin.invite.title")}</h3>
        <p class="muted">{t("admin.invite.intro")}</p>
        <div class="admin-grid">
          <Field
            label={t("admin.invite.email")}
            name="invite-email"
            type="email"
            value={email}
            onInput={setEmail}
            error={at("email")}
            autocomplete="off"
            required
          />
          <Field
            label={t("admin.invite.name")}
            name="invite-name"
            value={name}
            onInput={setName}
            error={at("display_name")}
            hint={t("admin.invite.nameHint")}
            autocomplete="off"
          />
          <SelectField
            label={t("admin.invite.role")}
            name="invite-role"
            value={role}
            onChange={(v) => setRole(v as Role)}
            options={grantableRoles().map((r) => ({ value: r, label: roleLabel(r) }))}
            error={at("role")}
            hint={t(`admin.roleHint.${role}`)}
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
                    checked={teamIds.includes(row.team.id)}
                    onChange={(e) => {
                      const on = (e.target as HTMLInputElement).checked;
                      setTeamIds((ids) => (on ? [...ids, row.team.id] : ids.filter((x) => x !== row.team.id)));
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
          <Busy busy={busy} disabled={!email.trim()}>
            {t("admin.invite.submit")}
          </Busy>
        </div>
      </form>

      <section class="card" aria-labelledby="inv-list-h">
        <h3 id="inv-list-h">{t("admin.invite.list")}</h3>
        <div class="check">
          <input id="inv-all" type="checkbox" checked={showAll} onChange={(e) => setShowAll((e.target as HTMLInputElement).checked)} />
          <label for="inv-all">{t("admin.invite.showAll")}</label>
        </div>
        {loadError ? (
          <p class="error" role="alert">
            {errorText(loadError)}
          </p>
        ) : null}
        {loaded && shown.length === 0 ? (
          <p class="muted">{hidden > 0 ? t("admin.invite.noneOpen", { n: hidden }) : t("admin.invite.none")}</p>
        ) : (
          <div class="table-wrap">
            <table class="admin-table" data-testid="invitation-list">
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
                {shown.map((i) => {
                  const state = invitationState(i);
                  return (
                    <tr key={i.id} data-email={i.email}>
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
                            onClick={() => {
                              setRevokeError(null);
                              setRevoking(i);
                            }}
                            aria-label={t("admin.invite.revokeFor", { email: i.email })}
                          >
                            {t("admin.invite.revoke")}
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {revoking && (
        <ConfirmDialog
          title={t("admin.invite.revokeTitle")}
          confirm={t("admin.invite.revoke")}
          danger
          busy={busy}
          error={revokeError ? errorText(revokeError) : null}
          onConfirm={revoke}
          onClose={() => setRevoking(null)}
        >
          <p>{t("admin.invite.revokeText", { email: revoking.email })}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
