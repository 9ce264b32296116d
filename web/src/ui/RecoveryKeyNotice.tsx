// The recovery key, shown once after this device made the person's identity.
import { useState } from "preact/hooks";
import { device, recoveryKey } from "../lib/state";
import { t } from "../lib/i18n";
import { Dialog } from "./common";

async function kept(): Promise<void> {
  await device().recoveryKeyKept();
  recoveryKey.value = null;
}

export function RecoveryKeyNotice() {
  const [saved, setSaved] = useState(false);
  const key = recoveryKey.value;
  if (!key) return null;
  return (
    <Dialog title={t("recovery.title")} onClose={() => saved && void kept()}>
      <p>{t("recovery.intro")}</p>
      <p class="code" data-testid="recovery-key">
        {key}
      </p>
      <label class="check">
        <input
          type="checkbox"
          checked={saved}
          onChange={(e) => setSaved((e.target as HTMLInputElement).checked)}
        />
        {t("recovery.saved")}
      </label>
      <div class="actions">
        <button
          class="primary"
          disabled={!saved}
          onClick={() => void kept()}
        >
          {t("recovery.done")}
        </button>
      </div>
    </Dialog>
  );
}
