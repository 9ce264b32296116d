// Comparing safety numbers: 60 digits made from both identity keys. Equal on both phones
// means nobody sits between the two people.
import { useEffect, useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { device } from "../lib/state";
import { Dialog, errorText } from "./common";
import { personName } from "./names";

export function SafetyNumber(props: { user: string; onClose: () => void }) {
  const [number, setNumber] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    device()
      .safetyNumber(props.user)
      .then(setNumber)
      .catch(setError);
  }, [props.user]);
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
