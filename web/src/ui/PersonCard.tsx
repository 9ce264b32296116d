// A person's profile card, over whatever screen opened it (a person in the directory, a
// sender in a conversation): who they are, how to reach them, and a button that opens the
// direct chat with them.
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { openDirect } from "../lib/direct";
import { t } from "../lib/i18n";
import { ensurePeople } from "../lib/people";
import { me, people, shownPerson } from "../lib/state";
import type { Person } from "../gen/Person";
import { Avatar, Busy, Dialog, errorText } from "./common";
import { useSubmit } from "./hooks";

/** Opens the profile card of this person. */
export function showPerson(id: string): void {
  shownPerson.value = id;
}

/** The open profile card, if any (the shell renders this once). */
export function PersonCardHost() {
  const id = shownPerson.value;
  if (!id) return null;
  return <PersonCard key={id} id={id} onClose={() => (shownPerson.value = null)} />;
}

/** A `tel:` address for an extension or number as people write it ("+49 221 555-12"). */
export function telHref(number: string): string {
  return `tel:${number.replace(/[^0-9+*#,;pPwW-]/g, "")}`;
}

function Row(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="card-row">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function PersonCard(props: { id: string; onClose: () => void }) {
  useEffect(() => {
    void ensurePeople([props.id]);
  }, [props.id]);
  const p: Person | undefined = people.value[props.id];
  const mine = me.value?.person.id === props.id;
  const { busy, error, run } = useSubmit(async () => {
    await openDirect(props.id);
    props.onClose();
  });
  if (!p) {
    return (
      <Dialog title={t("person.unknown")} onClose={props.onClose}>
        <p class="muted">{t("card.notFound")}</p>
      </Dialog>
    );
  }
  const name = p.display_name;
  return (
    <Dialog title={name} onClose={props.onClose}>
      <div class="person-card" data-testid="person-card" data-person={p.id}>
        <div class="card-head">
          <Avatar id={p.id} name={name} size="l" />
          <div class="card-who">
            {p.job_title && <p class="card-job">{p.job_title}</p>}
            {p.disambiguator && <p class="muted small">{p.disambiguator}</p>}
            {p.status !== "active" && <p class="tag">{t(`card.status.${p.status}`)}</p>}
          </div>
        </div>
        <dl class="card-fields">
          {p.teams.length > 0 && (
            <Row label={t("card.teams")}>{p.teams.map((x) => x.name).join(", ")}</Row>
          )}
          {p.competences.length > 0 && (
            <Row label={t("card.competences")}>
              <ul class="card-tags">
                {p.competences.map((c) => (
                  <li key={c} class="tag">
                    {c}
                  </li>
                ))}
              </ul>
            </Row>
          )}
          {p.languages.length > 0 && (
            <Row label={t("card.languages")}>{p.languages.join(", ")}</Row>
          )}
          {p.location && <Row label={t("card.location")}>{p.location}</Row>}
          {p.phone_extension && (
            <Row label={t("card.extension")}>
              <a
                href={telHref(p.phone_extension)}
                aria-label={t("card.call", { name, number: p.phone_extension })}
                data-testid="card-tel"
              >
                {p.phone_extension}
              </a>
            </Row>
          )}
          <Row label={t("card.email")}>
            <a
              href={`mailto:${p.email}`}
              aria-label={t("card.mail", { name, email: p.email })}
              data-testid="card-mail"
            >
              {p.email}
            </a>
          </Row>
        </dl>
        {mine ? (
          <p class="muted">{t("card.you")}</p>
        ) : (
          p.status === "active" && (
            <div class="actions">
              {error ? <p class="error">{errorText(error)}</p> : null}
              <Busy
                type="button"
                busy={busy}
                onClick={() => void run()}
                label={busy ? t("card.opening") : t("card.messageName", { name })}
              >
                {busy ? t("card.opening") : t("card.message")}
              </Busy>
            </div>
          )
        )}
      </div>
    </Dialog>
  );
}
