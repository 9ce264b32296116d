// Log in with the organisation's short name, e-mail address and password.
import { useEffect, useState } from "preact/hooks";
import { t } from "../../lib/i18n";
import { loadBranding, signIn } from "../../lib/session";
import { branding } from "../../lib/state";
import type { LoginRequest } from "../../gen/LoginRequest";
import { navigate } from "../../lib/router";
import { Busy, errorText, Field } from "../common";
import { useSubmit } from "../hooks";
import { Frame } from "./Frame";

export function Login() {
  const [org, setOrg] = useState(branding.value?.slug ?? "");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit(() =>
    signIn("login", {
      org: org.trim(),
      email: email.trim(),
      password,
    } satisfies Omit<LoginRequest, "device" | "known_device">),
  );
  // The organisation's look, once its short name is typed.
  useEffect(() => {
    const slug = org.trim();
    if (!slug || slug === branding.value?.slug) return;
    const timer = setTimeout(() => void loadBranding(slug), 400);
    return () => clearTimeout(timer);
  }, [org]);

  return (
    <Frame title={t("login.title")}>
      <form onSubmit={submit} novalidate>
        <Field
          label={t("login.org")}
          name="org"
          value={org}
          onInput={(v) => {
            setOrg(v);
          }}
          hint={t("login.orgHint")}
          autocomplete="organization"
          required
        />
        <Field
          label={t("auth.email")}
          name="email"
          type="email"
          value={email}
          onInput={setEmail}
          autocomplete="username"
          required
          autofocus={!!org}
        />
        <Field
          label={t("auth.password")}
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          autocomplete="current-password"
          required
        />
        {error ? (
          <p class="error" role="alert">
            {errorText(error)}
          </p>
        ) : null}
        <Busy busy={busy}>{t("login.submit")}</Busy>
      </form>
      <p class="muted">
        {t("login.invited")}{" "}
        <a
          href="/join"
          data-testid="login-to-join"
          onClick={(e) => {
            e.preventDefault();
            navigate("/join");
          }}
        >
          {t("login.enterCode")}
        </a>
      </p>
    </Frame>
  );
}

