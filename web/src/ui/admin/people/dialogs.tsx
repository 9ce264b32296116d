// The People section's dialogs: editing a profile, and asking before a suspension,
// reactivation or deprovisioning.
import { t } from "../../../lib/i18n";
import { toast } from "../../../lib/state";
import type { Person } from "../../../gen/Person";
import { Dialog, errorText } from "../../common";
import { ProfileEditor } from "../../ProfileEditor";
import { ConfirmDialog } from "../shared";
import type { People } from "./usePeople";

export function EditProfile(props: { person: Person; onClose: () => void; onSaved: (p: Person) => void }) {
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

export function ConfirmStatus(props: { people: People }) {
  const { pending, confirm } = props.people;
  if (!pending) return null;
  const { kind, person } = pending;
  return (
    <ConfirmDialog
      title={t(`admin.people.confirm.${kind}.title`, { name: person.display_name })}
      confirm={t(`admin.people.confirm.${kind}.button`)}
      danger={kind !== "reactivate"}
      busy={props.people.busy(person)}
      error={confirm.error ? errorText(confirm.error) : null}
      onConfirm={confirm.submit}
      onClose={props.people.cancel}
    >
      <p>{t(`admin.people.confirm.${kind}.text`, { name: person.display_name, email: person.email })}</p>
      {kind === "deprovision" && (
        <p class="admin-warning">
          <strong>{t("admin.people.confirm.deprovision.final", { name: person.display_name })}</strong>
        </p>
      )}
    </ConfirmDialog>
  );
}
