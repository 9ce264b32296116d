// How the organisation looks in the apps: its name and home-screen name, its two colours
// (with how well text reads on and in them, WCAG AA) and its logo, previewed live in light
// and dark with the same CSS variables the app uses.
import type { ComponentChildren, CSSProperties } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../lib/api";
import { deleteLogo, logoUrl, updateOrg, uploadLogo } from "../../lib/endpoints";
import { lang, t } from "../../lib/i18n";
import { me, toast } from "../../lib/state";
import { AA_TEXT, applyBranding, brandVars, contrast, darkShade, DEFAULT_COLOR, SURFACES, textOn } from "../../lib/theme";
import type { Org } from "../../gen/Org";
import { Busy, errorText, Field, fieldOf, FormError } from "../common";
import { useSubmit } from "../hooks";

const LOGO_MAX = 256 * 1024;
const HEX = /^#[0-9a-fA-F]{6}$/;
/** What fits under an icon on a phone's home screen (the server's `validate::APP_NAME_MAX`). */
const APP_NAME_MAX = 12;

/** Characters as the server counts them: composed first, so "ü" typed as u + ¨ is one. */
const chars = (s: string) => [...s.normalize("NFC")];

/** The label under the installed app's icon: the app name, or the name cut to 12 (as the
 * server's manifest does). */
const homeScreenLabel = (appName: string, name: string) =>
  appName.trim() ? appName.trim().normalize("NFC") : chars(name.trim()).slice(0, APP_NAME_MAX).join("");

/** A contrast ratio as people read it, rounded down so that a failing one never shows as 4.5. */
const ratio = (r: number) =>
  new Intl.NumberFormat(lang.value, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Math.floor(r * 10) / 10);

/** One line of a colour's check: whether it passes, and what it says. */
interface Check {
  ok: boolean;
  text: string;
}

/** How the accent reads as text on the page (links, names), in light and dark. */
function accentChecks(hex: string): Check[] {
  const light = contrast(hex, SURFACES.light[0]);
  const dark = contrast(hex, SURFACES.dark[0]);
  return [
    light >= AA_TEXT
      ? { ok: true, text: t("admin.branding.contrastLightOk", { ratio: ratio(light) }) }
      : { ok: false, text: t("admin.branding.contrastLightLow", { ratio: ratio(light) }) },
    dark >= AA_TEXT
      ? { ok: true, text: t("admin.branding.contrastDarkOk", { ratio: ratio(dark) }) }
      : { ok: false, text: t("admin.branding.contrastDarkLow", { ratio: ratio(dark) }) },
  ];
}

/** How the header's text reads on it, in light and in dark mode's darker shade. */
function headerChecks(hex: string): Check[] {
  const name = (c: string) => (c === "#000000" ? t("admin.branding.black") : t("admin.branding.white"));
  const line = (bg: string, key: "admin.branding.headerLight" | "admin.branding.headerDark") => {
    const r = contrast(textOn(bg), bg);
    return { ok: r >= AA_TEXT, text: t(key, { color: name(textOn(bg)), ratio: ratio(r) }) };
  };
  return [line(hex, "admin.branding.headerLight"), line(darkShade(hex), "admin.branding.headerDark")];
}

/** The checks of a colour, read out when they change (a polite live region). */
function Contrast(props: { id: string; checks: Check[] }) {
  return (
    <div class="contrast" id={props.id} role="status" data-testid={props.id}>
      {props.checks.map((c) => (
        <p class={c.ok ? "contrast-ok" : "contrast-low"} data-ok={String(c.ok)}>
          <span class="contrast-mark" aria-hidden="true">
            {c.ok ? "✓" : "⚠"}
          </span>
          <span class="sr-only">{c.ok ? t("admin.branding.passes") : t("admin.branding.fails")} </span>
          {c.text}
        </p>
      ))}
    </div>
  );
}

function ColorField(props: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  hint: string;
  error?: string | null;
  checks: (hex: string) => Check[];
}) {
  const id = `f-${props.name}`;
  const valid = HEX.test(props.value);
  const shown = valid ? props.value.toLowerCase() : DEFAULT_COLOR;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <div class="admin-color">
        <input
          type="color"
          aria-label={t("admin.branding.pick", { what: props.label })}
          value={shown}
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
          aria-describedby={`${props.error ? `${id}-err` : `${id}-hint`} ${id}-contrast`}
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
      <Contrast id={`${id}-contrast`} checks={props.checks(shown)} />
    </div>
  );
}

/** A sample of the app in one mode, drawn with the app's own variables for these colours. */
function Sample(props: { mode: "light" | "dark"; vars: Record<string, string>; testid: string; head: ComponentChildren }) {
  return (
    <figure class={`admin-preview theme-${props.mode}`} style={props.vars as CSSProperties} data-testid={props.testid}>
      <figcaption class="admin-preview-caption">
        {props.mode === "light" ? t("admin.branding.previewLight") : t("admin.branding.previewDark")}
      </figcaption>
      <div class="admin-preview-head">{props.head}</div>
      <div class="admin-preview-body">
        <p class="admin-preview-sender">{t("admin.branding.previewSender")}</p>
        <p>
          {t("admin.branding.previewText")} <a class="admin-preview-link">{t("admin.branding.previewLink")}</a>
        </p>
        <div class="admin-preview-row">
          <span class="admin-preview-button">{t("admin.branding.previewButton")}</span>
          <span class="admin-preview-badge">3</span>
        </div>
      </div>
    </figure>
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
  const [appName, setAppName] = useState(org?.app_name ?? "");
  const [accent, setAccent] = useState(org?.accent_color ?? "");
  const [secondary, setSecondary] = useState(org?.secondary_color ?? "");
  // Changes with each new logo, so that the preview does not show a cached one.
  const [logoVersion, setLogoVersion] = useState(0);
  const [dirty, setDirty] = useState(false);

  // Another admin's change shows here, unless this form is being edited.
  useEffect(() => {
    if (!org || dirty) return;
    setName(org.name);
    setAppName(org.app_name ?? "");
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
    if (chars(appName.trim()).length > APP_NAME_MAX) {
      throw new ApiError(400, "invalid_input", t("admin.branding.appNameTooLong"), "app_name");
    }
    const o = await updateOrg({
      name: name.trim(),
      app_name: appName.trim(),
      accent_color: accent,
      secondary_color: secondary,
    });
    setDirty(false);
    changed(o);
    setName(o.name);
    setAppName(o.app_name ?? "");
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

  const vars = brandVars(HEX.test(accent) ? accent.toLowerCase() : null, HEX.test(secondary) ? secondary.toLowerCase() : null);
  const logoSrc = logoUrl(org.slug, logoVersion);
  const previewName = name.trim() || org.name;
  const mark = org.has_logo ? (
    <img class="logo" src={logoSrc} alt="" />
  ) : (
    <span class="logo mark">K</span>
  );
  const head = (
    <>
      {mark}
      <span class="admin-preview-name">{previewName}</span>
    </>
  );

  return (
    <section aria-labelledby="brand-h" data-testid="admin-branding">
      <h2 id="brand-h">{t("admin.section.branding")}</h2>
      <div class="admin-split">
        <form class="card" onSubmit={save} novalidate aria-labelledby="brand-form-h">
          <h3 id="brand-form-h">{t("admin.branding.nameAndColors")}</h3>
          <Field label={t("admin.branding.name")} name="brand-name" value={name} onInput={edit(setName)} error={at("name")} required />
          <Field
            label={t("admin.branding.appName")}
            name="app_name"
            value={appName}
            onInput={edit(setAppName)}
            placeholder={homeScreenLabel("", previewName)}
            hint={t("admin.branding.appNameHint")}
            error={at("app_name")}
            autocomplete="off"
          />
          <ColorField
            label={t("admin.branding.accent")}
            name="accent_color"
            value={accent}
            onInput={edit(setAccent)}
            hint={t("admin.branding.accentHint")}
            error={at("accent_color")}
            checks={accentChecks}
          />
          <ColorField
            label={t("admin.branding.secondary")}
            name="secondary_color"
            value={secondary}
            onInput={edit(setSecondary)}
            hint={t("admin.branding.secondaryHint")}
            error={at("secondary_color")}
            checks={headerChecks}
          />
          <FormError error={error} fields={["name", "app_name", "accent_color", "secondary_color"]} />
          <div class="actions">
            <Busy busy={busy}>{t("common.save")}</Busy>
          </div>
        </form>
        <section class="card" aria-labelledby="brand-preview-h">
          <h3 id="brand-preview-h">{t("admin.branding.preview")}</h3>
          <div class="admin-previews" aria-hidden="true">
            <Sample mode="light" vars={vars} testid="brand-preview" head={head} />
            <Sample mode="dark" vars={vars} testid="brand-preview-dark" head={head} />
          </div>
          <figure class="admin-homescreen" style={vars as CSSProperties} aria-label={t("admin.branding.homeScreen")}>
            <figcaption class="admin-preview-caption">{t("admin.branding.homeScreen")}</figcaption>
            <div class="admin-homescreen-app">
              {org.has_logo ? <img class="admin-homescreen-icon" src={logoSrc} alt="" /> : <span class="admin-homescreen-icon logo mark">K</span>}
              <span class="admin-homescreen-label" data-testid="home-screen-name">
                {homeScreenLabel(appName, previewName)}
              </span>
            </div>
          </figure>
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
