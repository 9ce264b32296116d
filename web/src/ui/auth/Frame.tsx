// The frame of the screens before the conversations: the organisation's logo and name, the
// language switch.
import type { ComponentChildren } from "preact";
import { logoUrl } from "../../lib/endpoints";
import { branding } from "../../lib/state";
import { lang, setLang, t } from "../../lib/i18n";

export function Frame(props: { title: string; children: ComponentChildren }) {
  const b = branding.value;
  return (
    <main class="auth">
      <div class="auth-card">
        <header class="auth-head">
          {b?.has_logo ? (
            <img
              class="logo"
              src={logoUrl(b.slug)}
              alt={t("brand.logoOf", { name: b.name })}
            />
          ) : (
            <span class="logo mark" aria-hidden="true">
              K
            </span>
          )}
          <p class="org-name">{b?.name ?? "Kontor"}</p>
          <h1>{props.title}</h1>
        </header>
        {props.children}
        <footer class="auth-foot">
          <LanguageSwitch />
        </footer>
      </div>
    </main>
  );
}

export function LanguageSwitch() {
  return (
    <div class="lang-switch" role="group" aria-label={t("settings.language")}>
      <button
        type="button"
        class={lang.value === "de" ? "chip on" : "chip"}
        aria-pressed={lang.value === "de"}
        onClick={() => setLang("de")}
      >
        Deutsch
      </button>
      <button
        type="button"
        class={lang.value === "en" ? "chip on" : "chip"}
        aria-pressed={lang.value === "en"}
        onClick={() => setLang("en")}
      >
        English
      </button>
    </div>
  );
}
