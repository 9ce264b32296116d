// The Teams section's dialogs and forms: a new team, and asking before a team is deleted.
import { useState } from "preact/hooks";
import { createTeam } from "../../../lib/endpoints";
import { t } from "../../../lib/i18n";
import { toast } from "../../../lib/state";
import type { Team } from "../../../gen/Team";
import type { TeamKind } from "../../../gen/TeamKind";
import { Busy, errorText, Field, fieldOf, FormError } from "../../common";
import { useSubmit } from "../../hooks";
import { ConfirmDialog, type TreeRow } from "../shared";
import { SelectField } from "../fields";
import { kindOptions, parentOptions } from "./tree";

export function NewTeam(props: { tree: TreeRow[]; onCreated: (team: Team) => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<TeamKind>("department");
  const [parent, setParent] = useState("");
  const [description, setDescription] = useState("");
  const { busy, error, submit } = useSubmit(async () => {
    const team = await createTeam({ name: name.trim(), kind, parent_id: parent || null, description: description.trim() });
    toast(t("admin.teams.createdToast", { name: team.name }));
    setName("");
    setDescription("");
    props.onCreated(team);
  });
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  return (
    <form class="card new" onSubmit={submit} novalidate aria-labelledby="team-new-h">
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

export function ConfirmDelete(props: { team: Team; busy: boolean; error: unknown; onConfirm: () => void; onClose: () => void }) {
  return (
    <ConfirmDialog
      title={t("admin.teams.deleteTitle", { name: props.team.name })}
      confirm={t("admin.teams.delete")}
      danger
      busy={props.busy}
      error={props.error ? errorText(props.error) : null}
      onConfirm={props.onConfirm}
      onClose={props.onClose}
    >
      <p>{t("admin.teams.deleteText", { name: props.team.name })}</p>
    </ConfirmDialog>
  );
}
