// The organisation's rules: who creates channels and manages conversations, how long messages
// are kept, storage, and guests. Only policies of what exists are offered: online status,
// read receipts and the attachment limit come with the features they govern, and
// self-registration by e-mail domain is not offered until it works.
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../lib/api";
import { getPolicies, updatePolicies } from "../../lib/endpoints";
import { t } from "../../lib/i18n";
import { me, toast } from "../../lib/state";
import type { Policies as PolicyValues } from "../../gen/Policies";
import type { PoliciesPatch } from "../../gen/PoliciesPatch";
import type { ChannelCreators } from "../../gen/ChannelCreators";
import { Busy, errorText, fieldOf, FormError } from "../common";
import { useSubmit } from "../hooks";
import { useDirectory } from "./shared";
import { CheckField, NumberField, SelectField } from "./fields";

interface Form {
  channelCreators: ChannelCreators;
  adminsManage: boolean;
  retentionDays: string;
  storageGb: string;
  guestAccess: boolean;
}

function toForm(p: PolicyValues): Form {
  return {
    channelCreators: p.channel_creators,
    adminsManage: p.org_admins_manage,
    retentionDays: String(p.retention_days ?? 0),
    storageGb: String(Math.round((p.storage_quota_mib / 1024) * 100) / 100),
    guestAccess: p.guest_access,
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
    if (!Number.isInteger(days) || days < 0 || days > 36500) {
      throw invalid("retention_days", t("admin.policies.retentionInvalid"));
    }
    const storageMib = Math.round(Number(form.storageGb) * 1024);
    if (!Number.isFinite(storageMib) || storageMib < 1) {
      throw invalid("storage_quota_mib", t("admin.policies.storageInvalid"));
    }
    const patch: PoliciesPatch = {
      presence: null,
      read_receipts: null,
      max_upload_bytes: null,
      self_registration_domains: null,
      channel_creators: form.channelCreators,
      org_admins_manage: form.adminsManage,
      retention_days: days,
      storage_quota_mib: storageMib,
      guest_access: form.guestAccess,
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
            <legend>{t("admin.policies.conversations")}</legend>
            <SelectField
              label={t("admin.policies.channelCreators")}
              name="pol-channels"
              value={form.channelCreators}
              onChange={(v) => set("channelCreators", v as ChannelCreators)}
              options={[
                { value: "admins", label: t("admin.policies.channelCreators.admins") },
                { value: "members", label: t("admin.policies.channelCreators.members") },
              ]}
              hint={t("admin.policies.channelCreatorsHint")}
              error={at("channel_creators")}
            />
            <CheckField
              label={t("admin.policies.adminsManage")}
              name="pol-admins-manage"
              checked={form.adminsManage}
              onChange={(v) => set("adminsManage", v)}
              hint={t("admin.policies.adminsManageHint")}
              error={at("org_admins_manage")}
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
          </fieldset>
          <FormError error={error} fields={["channel_creators", "guest_access", "org_admins_manage", "retention_days", "storage_quota_mib"]} />
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
