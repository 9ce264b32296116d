// Teams as the organisation is structured: departments, projects, sites, regions, patients
// or cases and free groups, nested (a ward inside a department); their members and leads.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../../lib/api";
import { t, tn } from "../../lib/i18n";
import { toast } from "../../lib/state";
import type { CreateTeamRequest } from "../../gen/CreateTeamRequest";
import type { DirectoryPage } from "../../gen/DirectoryPage";
import type { Person } from "../../gen/Person";
import type { Team } from "../../gen/Team";
import type { TeamDetail } from "../../gen/TeamDetail";
import type { TeamKind } from "../../gen/TeamKind";
import type { TeamMember } from "../../gen/TeamMember";
import type { TeamPatch } from "../../gen/TeamPatch";
import type { TeamRole } from "../../gen/TeamRole";
import { Avatar, Busy, errorText, Field, fieldOf, FormError } from "../common";
import {
  ConfirmDialog,
  kindLabel,
  SelectField,
  TEAM_KINDS,
  teamPath,
  teamTree,
  useReload,
  type TreeRow,
} from "./shared";

const kindOptions = () => TEAM_KINDS.map((k) => ({ value: k, label: kindLabel(k) }));

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

function parentOptions(tree: TreeRow[], team: Team | null) {
  return [
    { value: "", label: t("admin.teams.noParent") },
    ...possibleParents(tree, team).map((row) => ({ value: row.team.id, label: teamPath(row) })),
  ];
}

export function Teams() {
  const [teams, setTeams] = useState<Team[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);

  async function load() {
    try {
      setTeams(await api<Team[]>("GET", "/teams"));
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoaded(true);
    }
  }
  useReload(load);

  const tree = teamTree(teams);
  const current = teams.find((x) => x.id === selected) ?? null;
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
            {error ? (
              <p class="error" role="alert">
                {errorText(error)}
              </p>
            ) : null}
            {loaded && tree.length === 0 && <p class="muted">{t("admin.teams.none")}</p>}
            <ul class="admin-tree" data-testid="team-tree">
              {tree.map((row) => (
                <li key={row.team.id} style={{ paddingInlineStart: `${row.depth * 1.1}rem` }}>
                  <button
                    type="button"
                    class={row.team.id === selected ? "admin-tree-item on" : "admin-tree-item"}
                    aria-pressed={row.team.id === selected}
                    onClick={() => setSelected(row.team.id)}
                    data-team={row.team.name}
                  >
                    {row.depth > 0 && (
                      <span class="admin-branch" aria-hidden="true">
                        └
                      </span>
                    )}
                    <span class="admin-tree-name">{row.team.name}</span>
                    <span class="tag">{kindLabel(row.team.kind)}</span>
                    <span class="muted small">
                      {tn("admin.teams.members", row.team.member_count)}
                    </span>
                    {row.depth > 0 && <span class="sr-only">{t("admin.teams.subOf", { name: row.path[row.path.length - 2] })}</span>}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        <div class="panel" ref={panel}>
          {current ? (
            <TeamPanel
              key={current.id}
              team={current}
              tree={tree}
              onChanged={(team) => setTeams((ts) => ts.map((x) => (x.id === team.id ? team : x)))}
              onDeleted={() => {
                setSelected(null);
                void load();
              }}
            />
          ) : (
            <p class="card muted">{tree.length > 0 ? t("admin.teams.pick") : t("admin.teams.startHint")}</p>
          )}
        </div>
        <NewTeam
          tree={tree}
          onCreated={(team) => {
            setTeams((ts) => [...ts.filter((x) => x.id !== team.id), team]);
            setSelected(team.id);
          }}
        />
      </div>
    </section>
  );
}

function NewTeam(props: { tree: TreeRow[]; onCreated: (team: Team) => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<TeamKind>("department");
  const [parent, setParent] = useState("");
  const [description, setDescription] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  async function create(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: CreateTeamRequest = { name: name.trim(), kind, parent_id: parent || null, description: description.trim() };
      const team = await api<Team>("POST", "/teams", body);
      toast(t("admin.teams.createdToast", { name: team.name }));
      setName("");
      setDescription("");
      props.onCreated(team);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card new" onSubmit={create} novalidate aria-labelledby="team-new-h">
      <h3 id="team-new-h">{t("admin.teams.new")}</h3>
      <Field label={t("admin.teams.name")} name="team-new-name" value={name} onInput={setName} error={at("name")} required />
      <SelectField
        label={t("admin.teams.kind")}
        name="team-new-kind"
        value={kind}
        onChange={(v) => setKind(v as TeamKind)}
        options={kindOptions()}
        error={at("kind")}
      />
      <SelectField
        label={t("admin.teams.parent")}
        name="team-new-parent"
        value={parent}
        onChange={setParent}
        options={parentOptions(props.tree, null)}
        error={at("parent_id")}
        hint={t("admin.teams.parentHint")}
      />
      <div class="field">
        <label for="f-team-new-description">{t("admin.teams.description")}</label>
        <textarea
          id="f-team-new-description"
          rows={2}
          value={description}
          onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)}
          aria-invalid={at("description") ? true : undefined}
        />
        {at("description") && (
          <p class="error" role="alert">
            {at("description")}
          </p>
        )}
      </div>
      <FormError error={error} fields={["name", "kind", "parent_id", "description"]} />
      <div class="actions">
        <Busy busy={busy} disabled={!name.trim()}>
          {t("admin.teams.create")}
        </Busy>
      </div>
    </form>
  );
}

function TeamPanel(props: {
  team: Team;
  tree: TreeRow[];
  onChanged: (team: Team) => void;
  onDeleted: () => void;
}) {
  const team = props.team;
  const [detail, setDetail] = useState<TeamDetail | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [name, setName] = useState(team.name);
  const [kind, setKind] = useState<TeamKind>(team.kind);
  const [parent, setParent] = useState(team.parent_id ?? "");
  const [description, setDescription] = useState(team.description);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [memberError, setMemberError] = useState<unknown>(null);
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  async function load() {
    try {
      setDetail(await api<TeamDetail>("GET", `/teams/${team.id}`));
      setLoadError(null);
    } catch (e) {
      setLoadError(e);
    }
  }
  useReload(load, [team.id]);

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const patch: TeamPatch = {
        name: name.trim(),
        kind,
        parent_id: parent || null,
        clear_parent: !parent,
        description: description.trim(),
      };
      const changed = await api<Team>("PATCH", `/teams/${team.id}`, patch);
      props.onChanged(changed);
      toast(t("admin.teams.saved", { name: changed.name }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setDeleteError(null);
    try {
      await api("DELETE", `/teams/${team.id}`);
      toast(t("admin.teams.deleted", { name: team.name }));
      setDeleting(false);
      props.onDeleted();
    } catch (err) {
      setDeleteError(err);
    } finally {
      setBusy(false);
    }
  }

  async function setMember(userId: string, role: TeamRole): Promise<boolean> {
    setMemberError(null);
    try {
      await api("PUT", `/teams/${team.id}/members/${userId}`, { role });
      await load();
      return true;
    } catch (err) {
      setMemberError(err);
      await load();
      return false;
    }
  }

  async function removeMember(m: TeamMember) {
    setMemberError(null);
    try {
      await api("DELETE", `/teams/${team.id}/members/${m.user_id}`);
      toast(t("admin.teams.memberRemoved", { name: m.display_name, team: team.name }));
      await load();
    } catch (err) {
      setMemberError(err);
    }
  }

  const row = props.tree.find((r) => r.team.id === team.id);
  const members = detail?.members ?? [];
  return (
    <div data-testid="team-panel">
      <section class="card" aria-labelledby="team-members-h">
        <h3 id="team-members-h">{row ? teamPath(row) : team.name}</h3>
        <p class="muted small">
          {kindLabel(team.kind)}
          {team.description && ` · ${team.description}`}
        </p>
        <h4>{t("admin.teams.membersOf", { name: team.name })}</h4>
        {loadError ? (
          <p class="error" role="alert">
            {errorText(loadError)}
          </p>
        ) : null}
        {memberError ? (
          <p class="error" role="alert">
            {errorText(memberError)}
          </p>
        ) : null}
        {detail && members.length === 0 && <p class="muted">{t("admin.teams.noMembers")}</p>}
        {members.length > 0 && (
          <div class="table-wrap">
            <table class="admin-table compact" data-testid="team-members">
              <thead>
                <tr>
                  <th scope="col">{t("admin.people.name")}</th>
                  <th scope="col">{t("admin.teams.roleInTeam")}</th>
                  <th scope="col">
                    <span class="sr-only">{t("admin.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.map((m) => (
                  <tr key={m.user_id} data-member={m.display_name}>
                    <td>
                      <span class="admin-person">
                        <Avatar id={m.user_id} name={m.display_name} size="s" />
                        <span class="person-name">{m.display_name}</span>
                      </span>
                    </td>
                    <td>
                      <label class="sr-only" for={`tm-${m.user_id}`}>
                        {t("admin.teams.roleOf", { name: m.display_name })}
                      </label>
                      <select
                        id={`tm-${m.user_id}`}
                        class="admin-inline"
                        value={m.role}
                        onChange={(e) => setMember(m.user_id, (e.target as HTMLSelectElement).value as TeamRole)}
                      >
                        <option value="member">{t("admin.teams.member")}</option>
                        <option value="lead">{t("admin.teams.lead")}</option>
                      </select>
                    </td>
                    <td>
                      <button
                        type="button"
                        class="small danger"
                        onClick={() => removeMember(m)}
                        aria-label={t("admin.teams.removeName", { name: m.display_name, team: team.name })}
                      >
                        {t("admin.teams.remove")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <AddMember team={team} exclude={members.map((m) => m.user_id)} onAdd={setMember} />
      </section>
      <form class="card" onSubmit={save} novalidate aria-labelledby="team-edit-h">
        <h3 id="team-edit-h">{t("admin.teams.settings")}</h3>
        <Field label={t("admin.teams.name")} name="team-name" value={name} onInput={setName} error={at("name")} required />
        <SelectField label={t("admin.teams.kind")} name="team-kind" value={kind} onChange={(v) => setKind(v as TeamKind)} options={kindOptions()} />
        <SelectField
          label={t("admin.teams.parent")}
          name="team-parent"
          value={parent}
          onChange={setParent}
          options={parentOptions(props.tree, team)}
          error={at("parent_id")}
        />
        <div class="field">
          <label for="f-team-description">{t("admin.teams.description")}</label>
          <textarea
            id="f-team-description"
            rows={2}
            value={description}
            onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)}
          />
          {at("description") && (
            <p class="error" role="alert">
              {at("description")}
            </p>
          )}
        </div>
        <FormError error={error} fields={["name", "parent_id", "description"]} />
        {detail && detail.children.length > 0 && (
          <p class="muted small">
            {t("admin.teams.children", { names: detail.children.map((c) => c.name).join(", ") })}
          </p>
        )}
        <div class="actions">
          <button
            type="button"
            class="danger"
            onClick={() => {
              setDeleteError(null);
              setDeleting(true);
            }}
          >
            {t("admin.teams.delete")}
          </button>
          <Busy busy={busy} disabled={!name.trim()}>
            {t("common.save")}
          </Busy>
        </div>
      </form>

      {deleting && (
        <ConfirmDialog
          title={t("admin.teams.deleteTitle", { name: team.name })}
          confirm={t("admin.teams.delete")}
          danger
          busy={busy}
          error={deleteError ? errorText(deleteError) : null}
          onConfirm={remove}
          onClose={() => setDeleting(false)}
        >
          <p>{t("admin.teams.deleteText", { name: team.name })}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function AddMember(props: { team: Team; exclude: string[]; onAdd: (userId: string, role: TeamRole) => Promise<boolean> }) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<Person[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    const timer = setTimeout(async () => {
      const params = new URLSearchParams({ limit: "20" });
      if (q.trim()) params.set("q", q.trim());
      try {
        const page = await api<DirectoryPage>("GET", `/directory?${params}`);
        setFound(page.people);
        setError(null);
      } catch (e) {
        setError(e);
      }
    }, 200);
    return () => clearTimeout(timer);
  }, [q]);

  const shown = found.filter((p) => !props.exclude.includes(p.id) && p.status === "active").slice(0, 8);
  async function add(p: Person, role: TeamRole) {
    setBusy(p.id);
    try {
      if (await props.onAdd(p.id, role))
        toast(t(role === "lead" ? "admin.teams.addedLead" : "admin.teams.added", { name: p.display_name, team: props.team.name }));
    } finally {
      setBusy(null);
    }
  }
  return (
    <div class="admin-add-member">
      <h4>{t("admin.teams.add")}</h4>
      <Field
        label={t("admin.teams.findPerson")}
        name="team-find"
        type="search"
        value={q}
        onInput={setQ}
        placeholder={t("admin.people.searchHint")}
        autocomplete="off"
      />
      {error ? (
        <p class="error" role="alert">
          {errorText(error)}
        </p>
      ) : null}
      {shown.length === 0 ? (
        <p class="muted small">{t("admin.teams.nobodyToAdd")}</p>
      ) : (
        <ul class="admin-candidates" data-testid="team-candidates">
          {shown.map((p) => (
            <li key={p.id} data-email={p.email}>
              <Avatar id={p.id} name={p.display_name} size="s" />
              <span class="person-body">
                <span class="person-name">{p.display_name}</span>
                <span class="muted small">{p.email}</span>
              </span>
              <span class="admin-row-buttons">
                <button
                  type="button"
                  class="small"
                  disabled={busy === p.id}
                  onClick={() => add(p, "member")}
                  aria-label={t("admin.teams.addName", { name: p.display_name })}
                >
                  {t("admin.teams.addAsMember")}
                </button>
                <button
                  type="button"
                  class="small"
                  disabled={busy === p.id}
                  onClick={() => add(p, "lead")}
                  aria-label={t("admin.teams.addLeadName", { name: p.display_name })}
                >
                  {t("admin.teams.addAsLead")}
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
