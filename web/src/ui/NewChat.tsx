// A new direct chat, group or announcement channel, with people from the directory. A direct
// chat opens with one tap on the person (the one this device has with them, or a new one);
// a group or channel is named and started with the people chosen.
import { useState } from "preact/hooks";
import { Icon } from "./icons";
import { openDirect } from "../lib/direct";
import { t, tn } from "../lib/i18n";
import { navigate } from "../lib/router";
import { refreshConversations } from "../lib/session";
import { listTeams, searchDirectory } from "../lib/endpoints";
import { device, isAdmin, me, toast } from "../lib/state";
import type { Team } from "../gen/Team";
import type { ConversationKind } from "../gen/ConversationKind";
import type { Person } from "../gen/Person";
import { Busy, errorText, Field } from "./common";
import { useResource, useSubmit } from "./hooks";
import { PersonPicker } from "./PersonPicker";
import { showPerson } from "./PersonCard";

type Audience = "people" | "teams" | "everyone";

/** Whether this person may create announcement channels (the organisation's policy; the
 * server decides again). */
function mayCreateChannels(): boolean {
  const who = me.value;
  if (!who || who.person.role === "guest") return false;
  return isAdmin() || who.policies.channel_creators === "members";
}

/** Everybody in these teams (with their sub-teams), or in the whole organisation (`null`),
 * but the person creating: read page by page from the directory. */
async function audiencePeople(teams: string[] | null): Promise<string[]> {
  const mine = me.value?.person.id;
  const found = new Set<string>();
  for (const team of teams ?? [null]) {
    let offset: number | null = 0;
    while (offset !== null) {
      const page = await searchDirectory({ limit: 200, offset, ...(team ? { team } : {}) });
      for (const p of page.people) if (p.id !== mine) found.add(p.id);
      offset = page.next_offset;
    }
  }
  return [...found];
}

export function NewChat(props: { kind?: ConversationKind }) {
  const [kind, setKind] = useState<ConversationKind>(props.kind ?? "direct");
  const [name, setName] = useState("");
  const [selected, setSelected] = useState<string[]>([]);
  const [opening, setOpening] = useState<string | null>(null);
  // A channel's audience: chosen people, teams (with their sub-teams) or everybody.
  const [audience, setAudience] = useState<Audience>("people");
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const teams = useResource(() => listTeams().catch((): Team[] => []), [], []).data;
  const kinds: ConversationKind[] = mayCreateChannels() ? ["direct", "group", "channel"] : ["direct", "group"];
  const byAudience = kind === "channel" && audience !== "people";

  // One tap on a person opens the direct chat with them.
  const direct = useSubmit(async (person: string) => {
    setOpening(person);
    try {
      await openDirect(person);
    } catch (err) {
      toast(errorText(err), "error");
      throw err;
    } finally {
      setOpening(null);
    }
  });

  function toggle(p: Person) {
    if (kind === "direct") {
      void direct.run(p.id);
      return;
    }
    setSelected((s) => (s.includes(p.id) ? s.filter((x) => x !== p.id) : [...s, p.id]));
  }

  const { busy, error, submit: create } = useSubmit(async () => {
    try {
      const people = byAudience ? await audiencePeople(audience === "everyone" ? null : teamIds) : selected;
      const id = await device().create(kind, name.trim(), people);
      await refreshConversations(true);
      navigate(`/c/${id}`, true);
    } catch (err) {
      toast(errorText(err), "error");
      throw err;
    }
  });

  const ready =
    name.trim().length > 0 && (byAudience ? audience === "everyone" || teamIds.length > 0 : selected.length > 0);
  const shownError = kind === "direct" ? direct.error : error;
  return (
    <section class="page" aria-labelledby="new-title">
      <header class="page-head">
        <button type="button" class="icon back" onClick={() => navigate("/")} aria-label={t("nav.back")}>
          <Icon name="back" />
        </button>
        <h1 id="new-title">{t("new.title")}</h1>
      </header>
      <form onSubmit={create} class="page-body">
        <div class="chips" role="radiogroup" aria-label={t("new.kind")}>
          {kinds.map((k) => (
            <button
              key={k}
              type="button"
              role="radio"
              aria-checked={kind === k}
              class={kind === k ? "chip on" : "chip"}
              onClick={() => {
                setKind(k);
                if (k === "direct") setSelected([]);
              }}
            >
              {t(`kind.${k}`)}
            </button>
          ))}
        </div>
        <p class="muted">{t(`new.explain.${kind}`)}</p>
        {kind !== "direct" && (
          <Field
            label={kind === "channel" ? t("new.channelName") : t("new.groupName")}
            name="conversation_name"
            value={name}
            onInput={setName}
            required
          />
        )}
        {kind === "channel" && (
          <fieldset class="audience">
            <legend>{t("new.audience")}</legend>
            {(["people", "teams", "everyone"] as Audience[]).map((a) => (
              <label key={a} class="check">
                <input
                  type="radio"
                  name="audience"
                  checked={audience === a}
                  onChange={() => setAudience(a)}
                />
                {t(`new.audience.${a}`)}
              </label>
            ))}
          </fieldset>
        )}
        {byAudience && audience === "teams" && (
          <fieldset class="audience-teams" data-testid="audience-teams">
            <legend>{t("new.audience.pickTeams")}</legend>
            {teams.length === 0 && <p class="muted">{t("new.audience.noTeams")}</p>}
            {teams.map((tm) => (
              <label key={tm.id} class="check">
                <input
                  type="checkbox"
                  checked={teamIds.includes(tm.id)}
                  onChange={(e) => {
                    const on = (e.target as HTMLInputElement).checked;
                    setTeamIds((ids) => (on ? [...ids, tm.id] : ids.filter((x) => x !== tm.id)));
                  }}
                />
                {tm.name}
              </label>
            ))}
            <p class="hint">{t("new.audience.subTeams")}</p>
          </fieldset>
        )}
        {byAudience && audience === "everyone" && <p class="hint">{t("new.audience.everyoneHint")}</p>}
        {!byAudience && (
          <PersonPicker
            selected={kind === "direct" ? [] : selected}
            onToggle={toggle}
            single={kind === "direct"}
            onShow={(p) => showPerson(p.id)}
            busy={kind === "direct" ? opening : null}
          />
        )}
        {shownError ? <p class="error">{errorText(shownError)}</p> : null}
        {kind !== "direct" && (
          <div class="sticky-actions">
            <Busy busy={busy} disabled={!ready}>
              {busy ? t("new.creating") : byAudience ? t("new.createChannel") : tn("new.create", selected.length)}
            </Busy>
          </div>
        )}
      </form>
    </section>
  );
}
