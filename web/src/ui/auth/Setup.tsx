// First start: the first organisation and its owner, with the setup code from the server's
// data directory.
import { useState } from "preact/hooks";
import { t } from "../../lib/i18n";
import { signIn } from "../../lib/session";
import type { SetupRequest } from "../../gen/SetupRequest";
import { Busy, errorText, Field, fieldOf, FormError } from "../common";
import { useSubmit } from "../hooks";
import { Frame } from "./Frame";

export function Setup() {
  const [code, setCode] = useState("");
  const [orgName, setOrgName] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit(() =>
    signIn("setup", {
      setup_code: code,
      org_name: orgName,
      email,
      display_name: name,
      password,
    } satisfies Omit<SetupRequest, "device">),
  );
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

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
        <FormError error={error} fields={["setup_code", "org_name", "display_name", "email", "password"]} />
        <Busy busy={busy}>{t("setup.submit")}</Busy>
      </form>
    </Frame>
  );
}
