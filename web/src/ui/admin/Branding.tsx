// How the organisation looks in the apps: its name, its two colours (previewed live, with
// the text colour the app will put on them) and its logo.
import type { CSSProperties } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../lib/api";
import { deleteLogo, logoUrl, updateOrg, uploadLogo } from "../../lib/endpoints";
import { t } from "../../lib/i18n";
import { me, toast } from "../../lib/state";
import { applyBranding, textOn } from "../../lib/theme";
import type { Org } from "../../gen/Org";
import { Busy, errorText, Field, fieldOf, FormError } from "../common";
import { useSubmit } from "../hooks";

/** Kontor's own colour, used when the organisation has none. */
const DEFAULT_COLOR = "#0f5c4d";
const LOGO_MAX = 256 * 1024;
const HEX = /^#[0-9a-fA-F]{6}$/;

function ColorField(props: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  hint: string;
  error?: string | null;
}) {
  const id = `f-${props.name}`;
  const valid = HEX.test(props.value);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <div class="admin-color">
        <input
          type="color"
          aria-label={t("admin.branding.pick", { what: props.label })}
          value={valid ? props.value.toLowerCase() : DEFAULT_COLOR}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        />
        <input
          id={id}
          name={props.name}
          value={props.value}
          placeholder={t("admin.branding.defaultColor")}
          spellcheck={false}
          autocomplete="off"
          maxLength={7}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value.trim())}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={props.error ? `${id}-err` : `${id}-hint`}
        />
        <button type="button" class="small" onClick={() => props.onInput("")} disabled={!props.value}>
          {t("admin.branding.reset")}
        </button>
      </div>
      {props.error ? (
        <p class="error" id={`${id}-err`} role="alert">
          {props.error}
        </p>
      ) : (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** What to say when a logo was refused. */
function logoErrorText(err: unknown): string {
  if (err instanceof ApiError && err.code === "unsupported_media_type") return t("admin.branding.logoType");
  if (err instanceof ApiError && err.code === "payload_too_large") return t("admin.branding.logoTooLarge");
  return errorText(err);
}

export function Branding() {
  const org = me.value?.org;
  const [name, setName] = useState(org?.name ?? "");
  const [accent, setAccent] = useState(org?.accent_color ?? "");
  const [secondary, setSecondary] = useState(org?.secondary_color ?? "");
  // Changes with each new logo, so that the preview does not show a cached one.
  const [logoVersion, setLogoVersion] = useState(0);
  const [dirty, setDirty] = useState(false);

  // Another admin's change shows here, unless this form is being edited.
  useEffect(() => {
    if (!org || dirty) return;
    setName(org.name);
    setAccent(org.accent_color ?? "");
    setSecondary(org.secondary_color ?? "");
  }, [org]);

  function changed(o: Org) {
    if (me.value) me.value = { ...me.value, org: o };
    applyBranding(o);
  }

  const { busy, error, submit: save } = useSubmit(async () => {
    for (const [field, v] of [
      ["accent_color", accent],
      ["secondary_color", secondary],
    ] as const) {
      if (v && !HEX.test(v)) throw new ApiError(400, "invalid_input", t("admin.branding.colorInvalid"), field);
    }
    const o = await updateOrg({ name: name.trim(), accent_color: accent, secondary_color: secondary, app_name: null });
    setDirty(false);
    changed(o);
    setName(o.name);
    setAccent(o.accent_color ?? "");
    setSecondary(o.secondary_color ?? "");
    toast(t("admin.branding.saved"));
  });
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  // Uploading and removing the logo share one busy state and one failure.
  const logo = useSubmit((change: () => Promise<void>) => change());
  const upload = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) {
      logo.setError(null);
      return;
    }
    void logo.run(async () => {
      try {
        if (file.size > LOGO_MAX) throw new ApiError(413, "payload_too_large", "");
        changed(await uploadLogo(new Uint8Array(await file.arrayBuffer())));
        setLogoVersion((v) => v + 1);
        toast(t("admin.branding.logoSaved"));
      } finally {
        input.value = "";
      }
    });
  };
  const removeLogo = () =>
    logo.run(async () => {
      changed(await deleteLogo());
      toast(t("admin.branding.logoRemoved"));
    });
  const logoBusy = logo.busy;
  const logoError = logo.error ? logoErrorText(logo.error) : null;

  if (!org) return null;
  const edit = (set: (v: string) => void) => (v: string) => {
    set(v);
    setDirty(true);
  };

  const a = HEX.test(accent) ? accent : DEFAULT_COLOR;
  const s = HEX.test(secondary) ? secondary : DEFAULT_COLOR;
  const logoSrc = logoUrl(org.slug, logoVersion);
  const previewName = name.trim() || org.name;

  return (
    <section aria-labelledby="brand-h" data-testid="admin-branding">
      <h2 id="brand-h">{t("admin.section.branding")}</h2>
      <div class="admin-split">
        <form class="card" onSubmit={save} novalidate aria-labelledby="brand-form-h">
          <h3 id="brand-form-h">{t("admin.branding.nameAndColors")}</h3>
          <Field label={t("admin.branding.name")} name="brand-name" value={name} onInput={edit(setName)} error={at("name")} required />
          <ColorField
            label={t("admin.branding.accent")}
            name="accent_color"
            value={accent}
            onInput={edit(setAccent)}
            hint={t("admin.branding.accentHint")}
            error={at("accent_color")}
          />
          <ColorField
            label={t("admin.branding.secondary")}
            name="secondary_color"
            value={secondary}
            onInput={edit(setSecondary)}
            hint={t("admin.branding.secondaryHint")}
            error={at("secondary_color")}
          />
          <FormError error={error} fields={["name", "accent_color", "secondary_color"]} />
          <div class="actions">
            <Busy busy={busy}>{t("common.save")}</Busy>
          </div>
        </form>
        <section class="card" aria-labelledby="brand-preview-h">
          <h3 id="brand-preview-h">{t("admin.branding.preview")}</h3>
          <div class="admin-preview" data-testid="brand-preview" aria-hidden="true">
            <div class="admin-preview-head" style={{ background: s, color: textOn(s) } as CSSProperties}>
              {org.has_logo ? (
                <img class="logo" src={logoSrc} alt="" />
              ) : (
                <span class="logo mark" style={{ background: a, color: textOn(a) } as CSSProperties}>
                  K
                </span>
              )}
              <span class="admin-preview-name">{previewName}</span>
            </div>
            <div class="admin-preview-body">
              <p>
                {t("admin.branding.previewText")} <span style={{ color: a, fontWeight: 600 }}>{t("admin.branding.previewLink")}</span>
              </p>
              <span class="admin-preview-button" style={{ background: a, color: textOn(a) } as CSSProperties}>
                {t("admin.branding.previewButton")}
              </span>
              <span class="admin-preview-badge" style={{ background: a, color: textOn(a) } as CSSProperties}>
                3
              </span>
            </div>
          </div>
          <p class="muted small">{t("admin.branding.previewHint")}</p>
        </section>
      </div>
      <section class="card" aria-labelledby="brand-logo-h">
        <h3 id="brand-logo-h">{t("admin.branding.logo")}</h3>
        <div class="admin-logo">
          {org.has_logo ? (
            <img class="admin-logo-img" src={logoSrc} alt={t("brand.logoOf", { name: org.name })} data-testid="logo-preview" />
          ) : (
            <p class="muted">{t("admin.branding.noLogo")}</p>
          )}
          <div class="field">
            <label for="brand-logo">{t("admin.branding.uploadLogo")}</label>
            <input
              id="brand-logo"
              type="file"
              accept="image/png,image/jpeg,image/webp"
              disabled={logoBusy}
              onChange={upload}
              aria-describedby={logoError ? "brand-logo-err" : "brand-logo-hint"}
            />
            {logoError ? (
              <p class="error" id="brand-logo-err" role="alert">
                {logoError}
              </p>
            ) : (
              <p class="hint" id="brand-logo-hint">
                {t("admin.branding.logoHint")}
              </p>
            )}
          </div>
          {org.has_logo && (
            <button type="button" class="danger" disabled={logoBusy} onClick={removeLogo}>
              {t("admin.branding.removeLogo")}
            </button>
          )}
        </div>
      </section>
    </section>
  );
}
