// A person's profile as a form: one for the person's own page and for admins editing
// someone. Saves with `updateProfile`; errors show at the field they are about.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { updateProfile } from "../lib/endpoints";
import { t } from "../lib/i18n";
import type { Person } from "../gen/Person";
import type { ProfilePatch } from "../gen/ProfilePatch";
import { Busy, errorText, Field, fieldOf, FormError } from "./common";
import { useSubmit } from "./hooks";

/** "a, b; c" → ["a", "b", "c"]. */
const list = (s: string) =>
  s
    .split(/[,;]/)
    .map((x) => x.trim())
    .filter(Boolean);

export function ProfileEditor(props: {
  person: Person;
  /** Keeps field ids apart when two forms could be on one page. */
  prefix: string;
  onSaved: (p: Person) => void;
  /** Shown before the save button (e.g. a cancel button). */
  actions?: ComponentChildren;
  children?: ComponentChildren;
}) {
  const p = props.person;
  const [name, setName] = useState(p.display_name);
  const [job, setJob] = useState(p.job_title);
  const [competences, setCompetences] = useState(p.competences.join(", "));
  const [languages, setLanguages] = useState(p.languages.join(", "));
  const [location, setLocation] = useState(p.location);
  const [phone, setPhone] = useState(p.phone_extension);
  const { busy, error, submit } = useSubmit(async () => {
    const patch: ProfilePatch = {
      display_name: name,
      job_title: job,
      competences: list(competences),
      languages: list(languages),
      location,
      phone_extension: phone,
    };
    props.onSaved(await updateProfile(p.id, patch));
  });
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);
  const id = (f: string) => `${props.prefix}-${f}`;

  return (
    <form onSubmit={submit} novalidate>
      {props.children}
      <Field label={t("profile.name")} name={id("display_name")} value={name} onInput={setName} error={at("display_name")} required />
      <Field label={t("profile.jobTitle")} name={id("job_title")} value={job} onInput={setJob} error={at("job_title")} />
      <Field
        label={t("profile.competences")}
        name={id("competences")}
        value={competences}
        onInput={setCompetences}
        hint={t("profile.listHint")}
        error={at("competences")}
      />
      <Field
        label={t("profile.languages")}
        name={id("languages")}
        value={languages}
        onInput={setLanguages}
        hint={t("profile.listHint")}
        error={at("languages")}
      />
      <Field label={t("profile.location")} name={id("location")} value={location} onInput={setLocation} error={at("location")} />
      <Field label={t("profile.phone")} name={id("phone_extension")} value={phone} onInput={setPhone} error={at("phone_extension")} />
      <FormError error={error} fields={["display_name", "job_title", "competences", "languages", "location", "phone_extension"]} />
      <div class="actions">
        {props.actions}
        <Busy busy={busy}>{t("common.save")}</Busy>
      </div>
    </form>
  );
}
