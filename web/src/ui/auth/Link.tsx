// A new device of a person who already has one: linked by approval on the other device
// (both show the same code) or with the recovery key. Until then it cannot take part.
import { useEffect, useState } from "preact/hooks";
import { t } from "../../lib/i18n";
import { linked, logout } from "../../lib/session";
import { device, me } from "../../lib/state";
import { Busy, errorText, Field } from "../common";
import { useSubmit } from "../hooks";
import { Frame } from "./Frame";

export function Link() {
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [recovery, setRecovery] = useState("");
  const withKey = useSubmit(async () => {
    await device().linkWithRecoveryKey(recovery.trim());
    await linked();
  });

  useEffect(() => {
    let stop = false;
    (async () => {
      try {
        const r = await device().requestLink();
        if (stop) return;
        setCode(r.code);
        while (!stop) {
          await new Promise((res) => setTimeout(res, 1500));
          if (stop) return;
          if (await device().pollLink()) {
            await linked();
            return;
          }
        }
      } catch (e) {
        if (!stop) setError(e);
      }
    })();
    return () => {
      stop = true;
    };
  }, []);

  return (
    <Frame title={t("link.title")}>
      <p>{t("link.intro", { name: me.value?.person.display_name ?? "" })}</p>
      <section aria-labelledby="link-code">
        <h2 id="link-code">{t("link.byApproval")}</h2>
        <p>{t("link.approveHint")}</p>
        <p class="code" data-testid="link-code" aria-live="polite">
          {code ?? "…"}
        </p>
      </section>
      <section aria-labelledby="link-key">
        <h2 id="link-key">{t("link.byKey")}</h2>
        <form onSubmit={withKey.submit} novalidate>
          <Field
            label={t("link.recoveryKey")}
            name="recovery_key"
            value={recovery}
            onInput={setRecovery}
            autocomplete="off"
          />
          <Busy busy={withKey.busy} disabled={!recovery.trim()}>
            {t("link.submitKey")}
          </Busy>
        </form>
      </section>
      {error || withKey.error ? (
        <p class="error" role="alert">
          {errorText(withKey.error ?? error)}
        </p>
      ) : null}
      <button type="button" class="link-button" onClick={() => void logout()}>
        {t("nav.logout")}
      </button>
    </Frame>
  );
}
