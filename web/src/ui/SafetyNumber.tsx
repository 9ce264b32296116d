// Comparing safety numbers: 60 digits made from both identity keys. Equal on both phones
// means nobody sits between the two people.
import { t } from "../lib/i18n";
import { device } from "../lib/state";
import { Dialog, errorText } from "./common";
import { useResource } from "./hooks";
import { personName } from "./names";

export function SafetyNumber(props: { user: string; onClose: () => void }) {
  const { data: number, error } = useResource(() => device().safetyNumber(props.user), [props.user], null);
  const groups = number?.replace(/\s/g, "").match(/.{1,5}/g) ?? [];
  return (
    <Dialog title={t("safety.title", { name: personName(props.user) })} onClose={props.onClose}>
      <p>{t("safety.intro", { name: personName(props.user) })}</p>
      {error ? (
        <p class="error">{errorText(error)}</p>
      ) : (
        <p class="safety" data-testid="safety-number" aria-label={t("safety.title", { name: personName(props.user) })}>
          {groups.map((g, i) => (
            <span key={i}>{g}</span>
          ))}
        </p>
      )}
    </Dialog>
  );
}
