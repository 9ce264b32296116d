// The organisation's rules: presence, read receipts, how long messages are kept, the
// largest attachment, guests, and who may register themselves.
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../lib/api";
import { getPolicies, updatePolicies } from "../../lib/endpoints";
import { t } from "../../lib/i18n";
import { me, toast } from "../../lib/state";
import type { Policies as PolicyValues } from "../../gen/Policies";
import type { PoliciesPatch } from "../../gen/PoliciesPatch";
import type { PresenceMode } from "../../gen/PresenceMode";
import { Busy, errorText, Field, fieldOf, FormError } from "../common";
import { useSubmit } from "../hooks";
import { formatBytes, useDirectory } from "./shared";
import { CheckField, NumberField, SelectField } from "./fields";

const MB = 1024 * 1024;

interface Form {
  presence: PresenceMode;
  readReceipts: boolean;
  retentionDays: string;
  maxUploadMb: string;
  storageGb: string;
  guestAccess: boolean;
  domains: string;
}

function toForm(p: PolicyValues): Form {
  return {
    presence: p.presence,
    readReceipts: p.read_receipts,
    retentionDays: String(p.retention_days ?? 0),
    maxUploadMb: String(Math.round((p.max_upload_bytes / MB) * 100) / 100),
    storageGb: String(Math.round((p.storage_quota_mib / 1024) * 100) / 100),
    guestAccess: p.guest_access,
    domains: p.self_registration_domains.join(", "),
  };
}

export function Policies() {
  const policies = useDirectory(getPolicies, [me.value?.policies], null);
  const saved = policies.data;
  const loadError = policies.error;
  const [form, setForm] = useState<Form | null>(null);
  const [dirty, setDirty] = useState(false);
  // Somebody else's change does not overwrite what is being edited here.
  useEffect(() => {
    if (saved) setForm((f) => (f && dirty ? f : toForm(saved)));
  }, [saved]);

  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setForm((f) => (f ? { ...f, [k]: v } : f));
    setDirty(true);
  };

  const { busy, error, setError, submit: save } = useSubmit(async () => {
    if (!form) return;
    const days = Number(form.retentionDays || "0");
    const mb = Number(form.maxUploadMb);
    if (!Number.isInteger(days) || days < 0 || days > 36500) {
      throw invalid("retention_days", t("admin.policies.retentionInvalid"));
    }
    if (!Number.isFinite(mb) || mb <= 0) {
      throw invalid("max_upload_bytes", t("admin.policies.uploadInvalid"));
    }
    const storageMib = Math.round(Number(form.storageGb) * 1024);
    if (!Number.isFinite(storageMib) || storageMib < 1) {
      throw invalid("storage_quota_mib", t("admin.policies.storageInvalid"));
    }
    const patch: PoliciesPatch = {
      presence: form.presence,
      read_receipts: form.readReceipts,
      retention_days: days,
      max_upload_bytes: Math.round(mb * MB),
      storage_quota_mib: storageMib,
      guest_access: form.guestAccess,
      self_registration_domains: form.domains
        .split(/[\s,;]+/)
        .map((d) => d.trim().replace(/^@/, ""))
        .filter(Boolean),
    };
    const p = await updatePolicies(patch);
    policies.set(p);
    setForm(toForm(p));
    setDirty(false);
    if (me.value) me.value = { ...me.value, policies: p };
    toast(t("admin.policies.saved"));
  });
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  return (
    <section aria-labelledby="pol-h" data-testid="admin-policies">
      <h2 id="pol-h">{t("admin.section.policies")}</h2>
      {loadError ? (
        <p class="error" role="alert">
          {errorText(loadError)}
        </p>
      ) : null}
      {!form ? (
        !loadError && <p class="muted">{t("common.loading")}</p>
      ) : (
        <form class="card admin-narrow" onSubmit={save} novalidate>
          <fieldset class="admin-fieldset">
            <legend>{t("admin.policies.privacy")}</legend>
            <SelectField
              label={t("admin.policies.presence")}
              name="pol-presence"
              value={form.presence}
              onChange={(v) => set("presence", v as PresenceMode)}
              options={[
                { value: "shown", label: t("admin.policies.presence.shown") },
                { value: "hidden", label: t("admin.policies.presence.hidden") },
              ]}
              hint={t("admin.policies.presenceHint")}
              error={at("presence")}
            />
            <CheckField
              label={t("admin.policies.readReceipts")}
              name="pol-read"
              checked={form.readReceipts}
              onChange={(v) => set("readReceipts", v)}
              hint={t("admin.policies.readReceiptsHint")}
              error={at("read_receipts")}
            />
          </fieldset>
          <fieldset class="admin-fieldset">
            <legend>{t("admin.policies.messages")}</legend>
            <NumberField
              label={t("admin.policies.retention")}
              name="pol-retention"
              value={form.retentionDays}
              onInput={(v) => set("retentionDays", v)}
              min={0}
              max={36500}
              unit={t("admin.policies.days")}
              hint={
                Number(form.retentionDays) > 0
                  ? t("admin.policies.retentionHintOn", { n: form.retentionDays })
                  : t("admin.policies.retentionHintOff")
              }
              error={at("retention_days")}
            />
            <NumberField
              label={t("admin.policies.maxUpload")}
              name="pol-upload"
              value={form.maxUploadMb}
              onInput={(v) => set("maxUploadMb", v)}
              min={0.001}
              max={10240}
              step="any"
              unit="MB"
              hint={t("admin.policies.maxUploadHint", { now: saved ? formatBytes(saved.max_upload_bytes) : "" })}
              error={at("max_upload_bytes")}
            />
            <NumberField
              label={t("admin.policies.storage")}
              name="pol-storage"
              value={form.storageGb}
              onInput={(v) => set("storageGb", v)}
              min={0.001}
              max={1048576}
              step="any"
              unit="GB"
              hint={t("admin.policies.storageHint")}
              error={at("storage_quota_mib")}
            />
          </fieldset>
          <fieldset class="admin-fieldset">
            <legend>{t("admin.policies.access")}</legend>
            <CheckField
              label={t("admin.policies.guests")}
              name="pol-guests"
              checked={form.guestAccess}
              onChange={(v) => set("guestAccess", v)}
              hint={t("admin.policies.guestsHint")}
              error={at("guest_access")}
            />
            <Field
              label={t("admin.policies.domains")}
              name="pol-domains"
              value={form.domains}
              onInput={(v) => set("domains", v)}
              hint={t("admin.policies.domainsHint")}
              error={at("self_registration_domains")}
              placeholder="sonnenschein.example"
              autocomplete="off"
            />
          </fieldset>
          <FormError error={error} fields={["guest_access", "max_upload_bytes", "presence", "read_receipts", "retention_days", "self_registration_domains", "storage_quota_mib"]} />
          <div class="actions">
            {dirty && (
              <button
                type="button"
                onClick={() => {
                  if (saved) setForm(toForm(saved));
                  setDirty(false);
                  setError(null);
                }}
              >
                {t("admin.undo")}
              </button>
            )}
            <Busy busy={busy}>{t("common.save")}</Busy>
          </div>
        </form>
      )}
    </section>
  );
}

/** A mistake found before asking the server, shown like the server's. */
function invalid(field: string, message: string): ApiError {
  return new ApiError(400, "invalid_input", message, field);
}
