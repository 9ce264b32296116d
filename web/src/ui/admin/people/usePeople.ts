// What the People section shows and does: the filters (typing waits a moment before asking
// the server), the pages of people found, the teams for the filter, and the changes an admin
// makes to one person (role, suspend, reactivate, deprovision).
import { useState } from "preact/hooks";
import { changeStatus, listTeams, searchDirectory, setRole, type StatusChange } from "../../../lib/endpoints";
import { t } from "../../../lib/i18n";
import { toast } from "../../../lib/state";
import type { DirectoryQuery } from "../../../gen/DirectoryQuery";
import type { Person } from "../../../gen/Person";
import type { OrgRole } from "../../../gen/OrgRole";
import type { Team } from "../../../gen/Team";
import { useDebounced, useSubmit } from "../../hooks";
import { roleLabel, useDirectory } from "../shared";

const PAGE = 200;

export type Pending = { kind: StatusChange; person: Person };

interface Found {
  people: Person[];
  total: number;
  next: number | null;
  teams: Team[];
}

export function usePeople() {
  const [q, setQ] = useState("");
  const [role, setRoleFilter] = useState("");
  const [team, setTeam] = useState("");
  const [inactive, setInactive] = useState(true);

  // Typing waits a moment before asking the server.
  const query = useDebounced(q.trim(), 250);

  const filters = (offset: number): Partial<DirectoryQuery> => ({
    limit: PAGE,
    offset,
    q: query,
    role: (role || null) as OrgRole | null,
    team: team || null,
    include_inactive: inactive || null,
  });

  const found = useDirectory<Found>(
    async () => {
      const [page, teams] = await Promise.all([searchDirectory(filters(0)), listTeams()]);
      return { people: page.people, total: page.total, next: page.next_offset, teams };
    },
    [query, role, team, inactive],
    { people: [], total: 0, next: null, teams: [] },
  );

  const more = useSubmit(async () => {
    const next = found.data.next;
    if (next === null) return;
    const page = await searchDirectory(filters(next));
    found.set((f) => ({
      ...f,
      people: [...f.people, ...page.people.filter((p) => !f.people.some((x) => x.id === p.id))],
      next: page.next_offset,
    }));
  });

  const replace = (p: Person) => found.set((f) => ({ ...f, people: f.people.map((x) => (x.id === p.id ? p : x)) }));

  // A role picked but not saved yet: arrow keys on a select must not change roles one by one.
  const [draft, setDraft] = useState<Record<string, OrgRole>>({});
  /** The person the last role change was for. */
  const [target, setTarget] = useState<string | null>(null);
  const roleChange = useSubmit(async (p: Person, r: OrgRole) => {
    try {
      const person = await setRole(p.id, r);
      replace(person);
      setDraft(({ [p.id]: _, ...rest }) => rest);
      toast(t("admin.people.roleChanged", { name: person.display_name, role: roleLabel(person.role) }));
    } catch (e) {
      // The select goes back to the role the person has.
      replace({ ...p });
      throw e;
    }
  });
  const pickRole = (p: Person, r: OrgRole) => {
    roleChange.setError(null);
    setDraft(({ [p.id]: _, ...rest }) => (r === p.role ? rest : { ...rest, [p.id]: r }));
  };

  const [pending, setPendingNow] = useState<Pending | null>(null);
  const confirm = useSubmit(async () => {
    if (!pending) return;
    const { kind, person } = pending;
    const changed = await changeStatus(person.id, kind);
    replace(changed);
    toast(t(`admin.people.done.${kind}`, { name: person.display_name }));
    setPendingNow(null);
  });

  return {
    filters: { q, setQ, role, setRole: setRoleFilter, team, setTeam, inactive, setInactive },
    ...found.data,
    loading: found.loading,
    error: found.error ?? more.error,
    more: more.submit,
    replace,
    draft,
    pickRole,
    saveRole: (p: Person, r: OrgRole) => {
      setTarget(p.id);
      void roleChange.run(p, r);
    },
    roleError: (p: Person) => (target === p.id ? roleChange.error : null),
    busy: (p: Person) => (target === p.id && roleChange.busy) || (pending?.person.id === p.id && confirm.busy),
    pending,
    ask: (kind: StatusChange, person: Person) => {
      confirm.setError(null);
      setPendingNow({ kind, person });
    },
    cancel: () => setPendingNow(null),
    confirm,
  };
}

export type People = ReturnType<typeof usePeople>;
