// Finding colleagues in the directory: by name, team or competence, not by phone number.
import { useEffect, useState } from "preact/hooks";
import { api } from "../lib/api";
import { t } from "../lib/i18n";
import { remember } from "../lib/people";
import { me } from "../lib/state";
import type { DirectoryPage } from "../gen/DirectoryPage";
import type { Person } from "../gen/Person";
import type { Team } from "../gen/Team";
import { Avatar, errorText } from "./common";

export function PersonPicker(props: {
  selected: string[];
  onToggle: (p: Person) => void;
  /** People not to offer (already members). */
  exclude?: string[];
  single?: boolean;
}) {
  const [q, setQ] = useState("");
  const [team, setTeam] = useState("");
  const [competence, setCompetence] = useState("");
  const [teams, setTeams] = useState<Team[]>([]);
  const [found, setFound] = useState<Person[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    void api<Team[]>("GET", "/teams")
      .then(setTeams)
      .catch(() => setTeams([]));
  }, []);

  useEffect(() => {
    const timer = setTimeout(async () => {
      const params = new URLSearchParams({ limit: "30" });
      if (q.trim()) params.set("q", q.trim());
      if (team) params.set("team", team);
      if (competence.trim()) params.set("competence", competence.trim());
      try {
        const page = await api<DirectoryPage>("GET", `/directory?${params}`);
        remember(page.people);
        setFound(page.people);
        setTotal(page.total);
        setError(null);
      } catch (e) {
        setError(e);
      }
    }, 200);
    return () => clearTimeout(timer);
  }, [q, team, competence]);

  const mine = me.value?.person.id;
  const shown = found.filter((p) => p.id !== mine && !props.exclude?.includes(p.id));
  return (
    <div class="picker">
      <div class="picker-filters">
        <div class="field">
          <label for="pick-q">{t("picker.search")}</label>
          <input
            id="pick-q"
            type="search"
            value={q}
            placeholder={t("picker.searchHint")}
            onInput={(e) => setQ((e.target as HTMLInputElement).value)}
            autofocus
          />
        </div>
        <div class="field">
          <label for="pick-team">{t("picker.team")}</label>
          <select id="pick-team" value={team} onChange={(e) => setTeam((e.target as HTMLSelectElement).value)}>
            <option value="">{t("picker.anyTeam")}</option>
            {teams.map((tm) => (
              <option key={tm.id} value={tm.id}>
                {tm.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="pick-comp">{t("picker.competence")}</label>
          <input
            id="pick-comp"
            value={competence}
            onInput={(e) => setCompetence((e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      {error ? <p class="error">{errorText(error)}</p> : null}
      <p class="muted" aria-live="polite">
        {/* Not counting those left out here (the person, and members already in). */}
        {t("picker.found", { n: Math.max(0, total - (found.length - shown.length)) })}
      </p>
      <ul class="people" data-testid="directory-results">
        {shown.map((p) => {
          const on = props.selected.includes(p.id);
          return (
            <li key={p.id}>
              <button
                type="button"
                class={on ? "person on" : "person"}
                aria-pressed={on}
                onClick={() => props.onToggle(p)}
                data-email={p.email}
              >
                <Avatar id={p.id} name={p.display_name} size="s" />
                <span class="person-body">
                  <span class="person-name">{p.display_name}</span>
                  {p.disambiguator && <span class="muted small">{p.disambiguator}</span>}
                  <span class="muted">
                    {[p.job_title, ...p.teams.map((x) => x.name)].filter(Boolean).join(" · ")}
                  </span>
                  {p.competences.length > 0 && (
                    <span class="muted small">{p.competences.join(", ")}</span>
                  )}
                </span>
                <span class="check-mark" aria-hidden="true">
                  {on ? "✓" : props.single ? "›" : "+"}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
