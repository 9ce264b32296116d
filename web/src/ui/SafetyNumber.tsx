// Comparing safety numbers: 60 digits made from both identity keys. Equal on both phones
// means nobody sits between the two people.
import { useEffect } from "preact/hooks";
import { t } from "../lib/i18n";
import { device } from "../lib/state";
import { loadVerified, setVerified, verifiedPeople } from "../lib/verified";
import { Dialog, errorText } from "./common";
import { useResource } from "./hooks";
import { personName } from "./names";

export function SafetyNumber(props: { user: string; onClose: () => void }) {
  const { data: number, error } = useResource(() => device().safetyNumber(props.user), [props.user], null);
  const groups = number?.replace(/\s/g, "").match(/.{1,5}/g) ?? [];
  useEffect(() => void loadVerified(), []);
  const kept = verifiedPeople.value[props.user];
  const digits = number?.replace(/\s/g, "") ?? null;
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
      {digits && kept && kept !== digits && (
        <p class="banner warn" role="alert" data-testid="safety-changed">
          {t("safety.changed", { name: personName(props.user) })}
        </p>
      )}
      {digits && kept === digits ? (
        <p data-testid="safety-verified">
          <span class="tag verified-tag">✓ {t("safety.verified")}</span>{" "}
          <button type="button" class="link-button" onClick={() => setVerified(props.user, null)}>
            {t("safety.unverify")}
          </button>
        </p>
      ) : (
        digits && (
          <div class="actions">
            <button type="button" class="primary" onClick={() => setVerified(props.user, digits)} data-testid="mark-verified">
              {t("safety.markVerified")}
            </button>
          </div>
        )
      )}
    </Dialog>
  );
}
