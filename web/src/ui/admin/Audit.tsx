// Who did what, when: every admin action, newest first, filtered by kind of action, person
// and time, with what changed.
import { ADMIN_ROLES } from "../../gen/roles";
import { useState } from "preact/hooks";
import { auditPage, listInvitations, listTeams, searchDirectory } from "../../lib/endpoints";
import { formatDateTime, t, type Key } from "../../lib/i18n";
import { me } from "../../lib/state";
import type { AuditEntry } from "../../gen/AuditEntry";
import type { AuditQuery } from "../../gen/AuditQuery";
import type { Invitation } from "../../gen/Invitation";
import type { Person } from "../../gen/Person";
import type { Team } from "../../gen/Team";
import { Busy, errorText } from "../common";
import { useSubmit } from "../hooks";
import { useCellLabels, useDirectory } from "./shared";
import { auditDetails, word } from "./auditText";
import { SelectField } from "./fields";

const LIMIT = 100;

/** The actions the server records, by area (the filter's prefixes). */
const ACTIONS: Record<string, string[]> = {
  "person.": ["person.update", "person.role", "person.suspend", "person.reactivate", "person.deprovision", "person.avatar", "person.avatar.delete"],
  "invitation.": ["invitation.create", "invitation.revoke", "invitation.accept"],
  "team.": ["team.create", "team.update", "team.delete", "team.member.set", "team.member.remove"],
  "org.": ["org.create", "org.rename", "org.branding", "org.policies"],
};

/** An action in words, or its code when this app does not know it yet. */
export function actionLabel(action: string): string {
  return word(`admin.audit.action.${action}`, action);
}

/** `YYYY-MM-DD` of a date field as the RFC 3339 time of local midnight, `days` later. */
function dayStart(date: string, days = 0): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(y, m - 1, d + days).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function Audit() {
  const cells = useCellLabels();
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");

  const filters = (before: string | null): Partial<AuditQuery> => ({
    limit: LIMIT,
    action: action || null,
    actor: actor || null,
    since: since ? dayStart(since) : null,
    until: until ? dayStart(until, 1) : null,
    before,
  });
  // Policy and branding changes come as their own events.
  const deps = [action, actor, since, until, me.value?.policies, me.value?.org];
  const log = useDirectory(
    async () => {
      const page = await auditPage(filters(null));
      return { entries: page.entries, next: page.next_before };
    },
    deps,
    { entries: [] as AuditEntry[], next: null as string | null },
  );
  // Names for the targets; the log itself works without them (ids are shown instead).
  const known = useDirectory(
    async () => {
      const [dir, teams, invitations] = await Promise.all([
        searchDirectory({ include_inactive: true, limit: 200 }),
        listTeams(),
        listInvitations(),
      ]);
      return { people: dir.people, teams, invitations };
    },
    deps,
    { people: [] as Person[], teams: [] as Team[], invitations: [] as Invitation[] },
  );
  const { entries, next } = log.data;
  const { people, teams, invitations } = known.data;

  const more = useSubmit(async () => {
    if (!next) return;
    const page = await auditPage(filters(next));
    log.set((l) => ({ entries: [...l.entries, ...page.entries], next: page.next_before }));
  });
  const error = log.error ?? more.error;

  function target(e: AuditEntry): string {
    const id = e.target_id;
    const kindText = word(`admin.audit.kind.${e.target_kind}`, e.target_kind);
    if (!id) return kindText;
    let name: string | undefined;
    if (e.target_kind === "person") name = people.find((p) => p.id === id)?.display_name;
    else if (e.target_kind === "team") name = teams.find((x) => x.id === id)?.name;
    else if (e.target_kind === "invitation") name = invitations.find((x) => x.id === id)?.email;
    else if (e.target_kind === "org" && me.value?.org.id === id) name = me.value.org.name;
    // A deleted team is only named in its own entry.
    name ??= detailName(e);
    return `${kindText}: ${name ?? t("admin.audit.gone")}`;
  }

  // Ids in the details, named.
  const names = new Map<string, string>([
    ...people.map((p) => [p.id, p.display_name] as [string, string]),
    ...teams.map((x) => [x.id, x.name] as [string, string]),
  ]);

  const actionOptions = [
    { value: "", label: t("admin.audit.allActions") },
    ...Object.entries(ACTIONS).flatMap(([prefix, list]) => [
      { value: prefix, label: t(`admin.audit.area.${prefix}` as Key) },
      ...list.map((a) => ({ value: a, label: `   ${actionLabel(a)}` })),
    ]),
  ];
  const actorOptions = [
    { value: "", label: t("admin.audit.anyone") },
    ...people
      .filter((p) => ADMIN_ROLES.includes(p.role) || p.id === actor)
      .map((p) => ({ value: p.id, label: p.display_name })),
  ];

  return (
    <section aria-labelledby="audit-h" data-testid="admin-audit">
      <h2 id="audit-h">{t("admin.section.audit")}</h2>
      <div class="card">
        <div class="admin-filters four">
          <SelectField label={t("admin.audit.action")} name="audit-action" value={action} onChange={setAction} options={actionOptions} />
          <SelectField label={t("admin.audit.actor")} name="audit-actor" value={actor} onChange={setActor} options={actorOptions} />
          <div class="field">
            <label for="f-audit-since">{t("admin.audit.since")}</label>
            <input id="f-audit-since" type="date" value={since} onChange={(e) => setSince((e.target as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="f-audit-until">{t("admin.audit.until")}</label>
            <input id="f-audit-until" type="date" value={until} onChange={(e) => setUntil((e.target as HTMLInputElement).value)} />
          </div>
        </div>
        {error ? (
          <p class="error" role="alert">
            {errorText(error)}
          </p>
        ) : null}
        {!log.loading && entries.length === 0 && !error ? (
          <p class="muted">{t("admin.audit.none")}</p>
        ) : (
          <div class="table-wrap">
            <table ref={cells} class="admin-table stack admin-audit" data-testid="audit-entries">
              <caption class="sr-only">{t("admin.section.audit")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("admin.audit.time")}</th>
                  <th scope="col">{t("admin.audit.actor")}</th>
                  <th scope="col">{t("admin.audit.action")}</th>
                  <th scope="col">{t("admin.audit.target")}</th>
                  <th scope="col">{t("admin.audit.details")}</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id} data-action={e.action}>
                    <td class="admin-nowrap">{formatDateTime(Date.parse(e.at))}</td>
                    <td>
                      {e.actor_name ?? t("admin.audit.operator")}
                      {e.address && <span class="muted small admin-block admin-address">{e.address}</span>}
                    </td>
                    <td>
                      <span class="admin-block">{actionLabel(e.action)}</span>
                    </td>
                    <td class="admin-break">{target(e)}</td>
                    <td>
                      <Details entry={e} names={names} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {next && (
          <div class="actions">
            <Busy type="button" class="" busy={more.busy} onClick={more.submit}>
              {t("admin.loadMore")}
            </Busy>
          </div>
        )}
      </div>
    </section>
  );
}

/** What the entry changed, in sentences. */
function Details(props: { entry: AuditEntry; names: Map<string, string> }) {
  const lines = auditDetails(props.entry, props.names);
  if (lines.length === 0) return null;
  return (
    <ul class="admin-changes">
      {lines.map((l, i) => (
        <li key={i}>{l}</li>
      ))}
    </ul>
  );
}

/** A name the details carry (of a team or organisation that may be gone). */
function detailName(e: AuditEntry): string | undefined {
  const d = e.details as Record<string, unknown> | null;
  if (!d || typeof d !== "object") return undefined;
  if (typeof d.name === "string") return d.name;
  if (typeof d.email === "string") return d.email;
  const to = d.to as Record<string, unknown> | undefined;
  if (to && typeof to === "object" && typeof to.name === "string") return to.name;
  return undefined;
}
