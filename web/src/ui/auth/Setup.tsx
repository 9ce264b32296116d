// First start: the first organisation and its owner, with the setup code from the server's
// data directory.
import { useState } from "preact/hooks";
import { api } from "../../lib/api";
import { t } from "../../lib/i18n";
import { loggedIn } from "../../lib/session";
import type { SessionCreated } from "../../gen/SessionCreated";
import type { SetupRequest } from "../../gen/SetupRequest";
import { Busy, errorText, Field, fieldOf } from "../common";
import { deviceName, Frame } from "./Frame";

export function Setup() {
  const [code, setCode] = useState("");
  const [orgName, setOrgName] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: SetupRequest = {
        setup_code: code,
        org_name: orgName,
        email,
        display_name: name,
        password,
        device: { name: deviceName(), platform: "web" },
      };
      await loggedIn(await api<SessionCreated>("POST", "/setup", body));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Frame title={t("setup.title")}>
      <p>{t("setup.intro")}</p>
      <form onSubmit={submit} novalidate>
        <Field
          label={t("setup.code")}
          name="setup_code"
          value={code}
          onInput={setCode}
          hint={t("setup.codeHint")}
          error={at("setup_code")}
          autocomplete="off"
          required
          autofocus
        />
        <Field
          label={t("setup.orgName")}
          name="org_name"
          value={orgName}
          onInput={setOrgName}
          error={at("org_name")}
          autocomplete="organization"
          required
        />
        <Field
          label={t("auth.yourName")}
          name="display_name"
          value={name}
          onInput={setName}
          error={at("display_name")}
          autocomplete="name"
          required
        />
        <Field
          label={t("auth.email")}
          name="email"
          type="email"
          value={email}
          onInput={setEmail}
          error={at("email")}
          autocomplete="email"
          required
        />
        <Field
          label={t("auth.newPassword")}
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          hint={t("auth.passwordHint")}
          error={at("password")}
          autocomplete="new-password"
          required
        />
        {error && !fieldOf(error) ? (
          <p class="error" role="alert">
            {errorText(error)}
          </p>
        ) : null}
        <Busy busy={busy}>{t("setup.submit")}</Busy>
      </form>
    </Frame>
  );
}
