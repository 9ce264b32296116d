// Everybody in the organisation, including suspended and removed accounts: find them, change
// their role and profile, suspend and reactivate them, and end their access for good.
import { useEffect, useState } from "preact/hooks";
import { ProfileEditor } from "../ProfileEditor";
import { api } from "../../lib/api";
import { formatDateTime, t, tn } from "../../lib/i18n";
import { me, toast } from "../../lib/state";
import type { DirectoryPage } from "../../gen/DirectoryPage";
import type { Person } from "../../gen/Person";
import type { Role } from "../../gen/Role";
import type { Team } from "../../gen/Team";
import { Avatar, Dialog, errorText, Field } from "../common";
import {
  CheckField,
  ConfirmDialog,
  grantableRoles,
  ROLES,
  roleLabel,
  SelectField,
  teamPath,
  teamTree,
  useReload,
} from "./shared";

const PAGE = 200;

type Pending = { kind: "suspend" | "reactivate" | "deprovision"; person: Person };

export function People() {
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [role, setRole] = useState("");
  const [team, setTeam] = useState("");
  const [inactive, setInactive] = useState(true);
  const [teams, setTeams] = useState<Team[]>([]);
  const [found, setFound] = useState<Person[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<number | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [rowError, setRowError] = useState<{ id: string; error: unknown } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [editing, setEditing] = useState<Person | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [pendingError, setPendingError] = useState<unknown>(null);
  // A role picked but not saved yet: arrow keys on a select must not change roles one by one.
  const [draft, setDraft] = useState<Record<string, Role>>({});

  // Typing waits a moment before asking the server.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), 250);
    return () => clearTimeout(timer);
  }, [q]);

  function params(offset: number): string {
    const p = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (query) p.set("q", query);
    if (role) p.set("role", role);
    if (team) p.set("team", team);
    if (inactive) p.set("include_inactive", "true");
    return p.toString();
  }

  async function load() {
    try {
      const [page, ts] = await Promise.all([
        api<DirectoryPage>("GET", `/directory?${params(0)}`),
        api<Team[]>("GET", "/teams"),
      ]);
      setFound(page.people);
      setTotal(page.total);
      setNext(page.next_offset);
      setTeams(ts);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoaded(true);
    }
  }
  useReload(load, [query, role, team, inactive]);

  async function more() {
    if (next === null) return;
    try {
      const page = await api<DirectoryPage>("GET", `/directory?${params(next)}`);
      setFound((f) => [...f, ...page.people.filter((p) => !f.some((x) => x.id === p.id))]);
      setNext(page.next_offset);
    } catch (e) {
      setError(e);
    }
  }

  const replace = (p: Person) => setFound((f) => f.map((x) => (x.id === p.id ? p : x)));

  async function changeRole(p: Person, r: Role) {
    setBusy(p.id);
    setRowError(null);
    try {
      const person = await api<Person>("PUT", `/people/${p.id}/role`, { role: r });
      replace(person);
      setDraft(({ [p.id]: _, ...rest }) => rest);
      toast(t("admin.people.roleChanged", { name: person.display_name, role: roleLabel(person.role) }));
    } catch (e) {
      setRowError({ id: p.id, error: e });
      // The select goes back to the role the person has.
      replace({ ...p });
    } finally {
      setBusy(null);
    }
  }

  async function confirmPending() {
    if (!pending) return;
    const { kind, person } = pending;
    setBusy(person.id);
    setPendingError(null);
    try {
      const changed = await api<Person>("POST", `/people/${person.id}/${kind}`);
      replace(changed);
      toast(t(`admin.people.done.${kind}`, { name: person.display_name }));
      setPending(null);
    } catch (e) {
      setPendingError(e);
    } finally {
      setBusy(null);
    }
  }

  const myId = me.value?.person.id;
  const iAmOwner = me.value?.person.role === "owner";
  const tree = teamTree(teams);
  const roleOptions = [{ value: "", label: t("admin.people.anyRole") }, ...ROLES.map((r) => ({ value: r, label: roleLabel(r) }))];
  const teamOptions = [{ value: "", label: t("admin.people.anyTeam") }, ...tree.map((row) => ({ value: row.team.id, label: teamPath(row) }))];

  return (
    <section aria-labelledby="people-h" data-testid="admin-people">
      <h2 id="people-h">{t("admin.section.people")}</h2>
      <div class="card">
        <div class="admin-filters">
          <Field
            label={t("admin.people.search")}
            name="people-q"
            type="search"
            value={q}
            onInput={setQ}
            placeholder={t("admin.people.searchHint")}
          />
          <SelectField label={t("admin.people.role")} name="people-role" value={role} onChange={setRole} options={roleOptions} />
          <SelectField label={t("admin.people.team")} name="people-team" value={team} onChange={setTeam} options={teamOptions} />
        </div>
        <CheckField label={t("admin.people.includeInactive")} name="people-inactive" checked={inactive} onChange={setInactive} />
        <p class="muted small" aria-live="polite">
          {loaded ? tn("admin.people.count", total) : t("common.loading")}
        </p>
        {error ? (
          <p class="error" role="alert">
            {errorText(error)}
          </p>
        ) : null}
        <div class="table-wrap">
          <table class="admin-table admin-people">
            <caption class="sr-only">{t("admin.section.people")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.people.name")}</th>
                <th scope="col">{t("admin.people.role")}</th>
                <th scope="col">{t("admin.people.status")}</th>
                <th scope="col">{t("admin.people.teams")}</th>
                <th scope="col">
                  <span class="sr-only">{t("admin.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {found.map((p) => {
                const self = p.id === myId;
                // Admins cannot touch owners; nobody changes their own role or status.
                const locked = self || (p.role === "owner" && !iAmOwner) || p.status === "deprovisioned";
                const err = rowError?.id === p.id ? rowError.error : null;
                return (
                  <tr key={p.id} data-email={p.email} class={p.status !== "active" ? "inactive" : undefined}>
                    <td>
                      <span class="admin-person">
                        <Avatar id={p.id} name={p.display_name} size="s" />
                        <span class="person-body">
                          <span class="person-name">
                            {p.display_name}
                            {self && <span class="tag">{t("person.you")}</span>}
                          </span>
                          <span class="muted small">{p.email}</span>
                          {p.job_title && <span class="muted small">{p.job_title}</span>}
                        </span>
                      </span>
                    </td>
                    <td>
                      {locked ? (
                        <span>{roleLabel(p.role)}</span>
                      ) : (
                        <>
                          <label class="sr-only" for={`role-${p.id}`}>
                            {t("admin.people.roleOf", { name: p.display_name })}
                          </label>
                          <span class="admin-role">
                            <select
                              id={`role-${p.id}`}
                              class="admin-inline"
                              value={draft[p.id] ?? p.role}
                              disabled={busy === p.id}
                              onChange={(e) => {
                                const r = (e.target as HTMLSelectElement).value as Role;
                                setRowError(null);
                                setDraft(({ [p.id]: _, ...rest }) => (r === p.role ? rest : { ...rest, [p.id]: r }));
                              }}
                              aria-describedby={err ? `role-${p.id}-err` : undefined}
                            >
                              {(grantableRoles().includes(p.role) ? grantableRoles() : [p.role, ...grantableRoles()]).map((r) => (
                                <option key={r} value={r}>
                                  {roleLabel(r)}
                                </option>
                              ))}
                            </select>
                            {draft[p.id] && (
                              <button
                                type="button"
                                class="small primary"
                                disabled={busy === p.id}
                                onClick={() => changeRole(p, draft[p.id])}
                                aria-label={t("admin.people.saveRole", { name: p.display_name, role: roleLabel(draft[p.id]) })}
                              >
                                {t("common.save")}
                              </button>
                            )}
                          </span>
                        </>
                      )}
                      {err ? (
                        <p class="error small" id={`role-${p.id}-err`} role="alert">
                          {errorText(err)}
                        </p>
                      ) : null}
                    </td>
                    <td>
                      <span class={`tag admin-status ${p.status}`}>{t(`admin.status.${p.status}`)}</span>
                      <span class="muted small admin-since">
                        {t("admin.people.since", { when: formatDateTime(Date.parse(p.created_at)) })}
                      </span>
                    </td>
                    <td>
                      {p.teams.length === 0 ? (
                        <span class="muted">–</span>
                      ) : (
                        <ul class="admin-inline-list">
                          {p.teams.map((m) => (
                            <li key={m.team_id}>
                              {m.name}
                              {m.role === "lead" && <span class="tag">{t("admin.teams.lead")}</span>}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td>
                      <div class="admin-row-buttons">
                        {p.status !== "deprovisioned" && (self || !locked) && (
                          <button
                            type="button"
                            class="small"
                            onClick={() => setEditing(p)}
                            aria-label={t("admin.people.editName", { name: p.display_name })}
                          >
                            {t("admin.people.edit")}
                          </button>
                        )}
                        {!locked && p.status === "active" && (
                          <button
                            type="button"
                            class="small"
                            disabled={busy === p.id}
                            onClick={() => {
                              setPendingError(null);
                              setPending({ kind: "suspend", person: p });
                            }}
                            aria-label={t("admin.people.suspendName", { name: p.display_name })}
                          >
                            {t("admin.people.suspend")}
                          </button>
                        )}
                        {!locked && p.status === "suspended" && (
                          <button
                            type="button"
                            class="small"
                            disabled={busy === p.id}
                            onClick={() => {
                              setPendingError(null);
                              setPending({ kind: "reactivate", person: p });
                            }}
                            aria-label={t("admin.people.reactivateName", { name: p.display_name })}
                          >
                            {t("admin.people.reactivate")}
                          </button>
                        )}
                        {!locked && (
                          <button
                            type="button"
                            class="small danger"
                            disabled={busy === p.id}
                            onClick={() => {
                              setPendingError(null);
                              setPending({ kind: "deprovision", person: p });
                            }}
                            aria-label={t("admin.people.deprovisionName", { name: p.display_name })}
                          >
                            {t("admin.people.deprovision")}
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {loaded && found.length === 0 && !error && <p class="muted">{t("admin.people.none")}</p>}
        {next !== null && (
          <div class="actions">
            <button type="button" onClick={more}>
              {t("admin.loadMore")}
            </button>
          </div>
        )}
      </div>
      {editing && (
        <EditProfile
          person={editing}
          onClose={() => setEditing(null)}
          onSaved={(p) => {
            replace(p);
            if (me.value && p.id === me.value.person.id) me.value = { ...me.value, person: p };
            setEditing(null);
          }}
        />
      )}
      {pending && (
        <ConfirmDialog
          title={t(`admin.people.confirm.${pending.kind}.title`, { name: pending.person.display_name })}
          confirm={t(`admin.people.confirm.${pending.kind}.button`)}
          danger={pending.kind !== "reactivate"}
          busy={busy === pending.person.id}
          error={pendingError ? errorText(pendingError) : null}
          onConfirm={confirmPending}
          onClose={() => setPending(null)}
        >
          <p>{t(`admin.people.confirm.${pending.kind}.text`, { name: pending.person.display_name, email: pending.person.email })}</p>
          {pending.kind === "deprovision" && (
            <p class="admin-warning">
              <strong>{t("admin.people.confirm.deprovision.final", { name: pending.person.display_name })}</strong>
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

function EditProfile(props: { person: Person; onClose: () => void; onSaved: (p: Person) => void }) {
  const p = props.person;
  return (
    <Dialog title={t("admin.people.editTitle", { name: p.display_name })} onClose={props.onClose}>
      <ProfileEditor
        person={p}
        prefix="edit"
        onSaved={(person) => {
          toast(t("admin.people.saved", { name: person.display_name }));
          props.onSaved(person);
        }}
        actions={
          <button type="button" onClick={props.onClose}>
            {t("common.cancel")}
          </button>
        }
      >
        <p class="muted small">{p.email}</p>
      </ProfileEditor>
    </Dialog>
  );
}
