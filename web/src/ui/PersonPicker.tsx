// Finding colleagues in the directory: by name, team or competence, not by phone number.
import { useState } from "preact/hooks";
import { directoryCompetences, listTeams, searchDirectory } from "../lib/endpoints";
import { t, tn } from "../lib/i18n";
import { remember } from "../lib/people";
import { me } from "../lib/state";
import type { Competences } from "../gen/Competences";
import type { Person } from "../gen/Person";
import type { Team } from "../gen/Team";
import { Avatar, errorText } from "./common";
import { useDebounced, useResource } from "./hooks";

export function PersonPicker(props: {
  selected: string[];
  onToggle: (p: Person) => void;
  /** People not to offer (already members). */
  exclude?: string[];
  single?: boolean;
  /** Whether the search takes the focus (not where the picker is not the page's point:
   * on a phone the keyboard would pop up). */
  autofocus?: boolean;
  /** Shows a person's profile card (from their avatar); without it the avatar is a picture. */
  onShow?: (p: Person) => void;
  /** The person whose row is at work (a chat with them is being opened). */
  busy?: string | null;
}) {
  const [q, setQ] = useState("");
  const [team, setTeam] = useState("");
  const [competence, setCompetence] = useState("");
  // Without teams the filter offers only "any team".
  const teams = useResource(() => listTeams().catch((): Team[] => []), [], []).data;
  const query = useDebounced({ q: q.trim(), team, competence: competence.trim() }, 200);
  const result = useResource(
    async () => {
      const page = await searchDirectory({ limit: 30, ...query });
      remember(page.people);
      return page;
    },
    [query],
    { people: [] as Person[], total: 0, next_offset: null },
  );
  // The organisation's competences that fit what is typed, offered as the person types.
  const suggested = useResource(
    () =>
      directoryCompetences({ prefix: query.competence, limit: 20 }).catch(
        (): Competences => ({ competences: [] }),
      ),
    [query.competence],
    { competences: [] } as Competences,
  ).data.competences;
  const found = result.data.people;
  const total = result.data.total;
  const error = result.error;

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
            autofocus={props.autofocus ?? true}
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
            list="pick-comp-list"
            autocomplete="off"
            onInput={(e) => setCompetence((e.target as HTMLInputElement).value)}
          />
          <datalist id="pick-comp-list" data-testid="competence-suggestions">
            {suggested.map((c) => (
              <option key={c.name} value={c.name} label={tn("picker.competencePeople", c.people)} />
            ))}
          </datalist>
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
          const working = props.busy === p.id;
          return (
            <li key={p.id} class="person-row">
              {props.onShow && (
                <button
                  type="button"
                  class="person-show"
                  onClick={() => props.onShow?.(p)}
                  title={t("card.show", { name: p.display_name })}
                  data-testid="show-person"
                >
                  <span class="sr-only">{t("card.show", { name: p.display_name })}</span>
                  <Avatar id={p.id} name={p.display_name} size="s" />
                </button>
              )}
              <button
                type="button"
                class={on ? "person on" : "person"}
                aria-pressed={on}
                aria-busy={working || undefined}
                disabled={!!props.busy}
                onClick={() => props.onToggle(p)}
                data-email={p.email}
              >
                {!props.onShow && <Avatar id={p.id} name={p.display_name} size="s" />}
                <span class="person-body">
                  <span class="person-name">{p.display_name}</span>
                  {p.disambiguator && <span class="muted small">{p.disambiguator}</span>}
                  <span class="muted">
                    {[p.job_title, ...p.teams.map((x) => x.name)].filter(Boolean).join(" · ")}
                  </span>
                  {p.competences.length > 0 && (
                    <span class="muted small">{p.competences.join(", ")}</span>
                  )}
                  {working && <span class="small">{t("card.opening")}</span>}
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
