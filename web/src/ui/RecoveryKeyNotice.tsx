// The recovery key, shown once after this device made the person's identity: copied, saved
// as a file or printed, and closed only once the person says they kept it (× and Escape
// say why it waits instead of doing nothing).
import { useRef, useState } from "preact/hooks";
import { device, me, recoveryKey, toast } from "../lib/state";
import { t } from "../lib/i18n";
import { Dialog } from "./common";

async function kept(): Promise<void> {
  await device().recoveryKeyKept();
  recoveryKey.value = null;
}

/** A text file with the key and whose it is, downloaded by the browser. */
function saveAsFile(key: string) {
  const who = me.value;
  const text = `${t("recovery.title")}\n${who ? `${who.org.name} · ${who.person.email}\n` : ""}\n${key}\n\n${t("recovery.intro")}\n`;
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = "kontor-recovery-key.txt";
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function RecoveryKeyNotice() {
  const [saved, setSaved] = useState(false);
  const [why, setWhy] = useState(false);
  const box = useRef<HTMLInputElement>(null);
  const key = recoveryKey.value;
  if (!key) return null;
  return (
    <Dialog
      title={t("recovery.title")}
      onClose={() => {
        if (saved) return void kept();
        setWhy(true);
        box.current?.focus();
      }}
    >
      <div class="recovery" data-testid="recovery">
        <p>{t("recovery.intro")}</p>
        <p class="code" data-testid="recovery-key">
          {key}
        </p>
        <div class="row-actions">
          <button
            type="button"
            class="small"
            onClick={() =>
              void navigator.clipboard
                .writeText(key)
                .then(() => toast(t("recovery.copied")))
                .catch(() => toast(t("recovery.copyFailed"), "error"))
            }
          >
            {t("recovery.copy")}
          </button>
          <button type="button" class="small" onClick={() => saveAsFile(key)}>
            {t("recovery.file")}
          </button>
          <button type="button" class="small" onClick={() => print()}>
            {t("recovery.print")}
          </button>
        </div>
        <label class="check">
          <input
            ref={box}
            type="checkbox"
            checked={saved}
            onChange={(e) => {
              setSaved((e.target as HTMLInputElement).checked);
              setWhy(false);
            }}
          />
          {t("recovery.saved")}
        </label>
        {why && (
          <p class="error" role="alert" data-testid="recovery-why">
            {t("recovery.why")}
          </p>
        )}
        <div class="actions">
          <button class="primary" disabled={!saved} onClick={() => void kept()}>
            {t("recovery.done")}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
