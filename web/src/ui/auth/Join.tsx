// Accept an invitation: the link carries the code in its fragment (never sent to the
// server in a URL); the person chooses a name and a password.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../lib/api";
import { t } from "../../lib/i18n";
import { loadBranding, loggedIn } from "../../lib/session";
import type { AcceptInvitationRequest } from "../../gen/AcceptInvitationRequest";
import type { InvitationPreview } from "../../gen/InvitationPreview";
import type { SessionCreated } from "../../gen/SessionCreated";
import { Busy, errorText, Field, fieldOf } from "../common";
import { deviceName, Frame } from "./Frame";

function codeFromLink(): string {
  return new URLSearchParams(location.hash.slice(1)).get("code") ?? "";
}

export function Join() {
  const [code, setCode] = useState(codeFromLink());
  const [preview, setPreview] = useState<InvitationPreview | null>(null);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  async function look(c: string) {
    setError(null);
    try {
      const p = await api<InvitationPreview>("POST", "/invitations/preview", { code: c });
      setPreview(p);
      setName((n) => n || p.display_name || "");
      void loadBranding(p.org.slug);
    } catch (err) {
      setPreview(null);
      setError(err);
    }
  }

  useEffect(() => {
    if (code) void look(code);
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    if (!preview) {
      await look(code);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: AcceptInvitationRequest = {
        code,
        display_name: name,
        password,
        device: { name: deviceName(), platform: "web" },
      };
      await loggedIn(await api<SessionCreated>("POST", "/invitations/accept", body));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Frame title={t("join.title")}>
      {preview ? (
        <p>
          {t("join.invitedAs", {
            org: preview.org.name,
            email: preview.email,
          })}
        </p>
      ) : (
        <p>{t("join.intro")}</p>
      )}
      <form onSubmit={submit} novalidate>
        {!preview && (
          <Field
            label={t("join.code")}
            name="code"
            value={code}
            onInput={setCode}
            autocomplete="off"
            required
            autofocus
          />
        )}
        {preview && (
          <>
            <Field
              label={t("auth.yourName")}
              name="display_name"
              value={name}
              onInput={setName}
              error={at("display_name")}
              autocomplete="name"
              required
              autofocus
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
          </>
        )}
        {error && !at("display_name") && !at("password") ? (
          <p class="error" role="alert">
            {errorText(error)}
          </p>
        ) : null}
        <Busy busy={busy}>{preview ? t("join.submit") : t("join.check")}</Busy>
      </form>
    </Frame>
  );
}
