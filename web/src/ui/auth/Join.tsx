// Accept an invitation: the link carries the code in its fragment (never sent to the
// server in a URL); the person chooses a name and a password.
import { useEffect, useState } from "preact/hooks";
import { previewInvitation } from "../../lib/endpoints";
import { t } from "../../lib/i18n";
import { loadBranding, signIn } from "../../lib/session";
import type { AcceptInvitationRequest } from "../../gen/AcceptInvitationRequest";
import type { InvitationPreview } from "../../gen/InvitationPreview";
import { Busy, errorText, Field, fieldOf, FormError } from "../common";
import { useSubmit } from "../hooks";
import { Frame } from "./Frame";

function codeFromLink(): string {
  return new URLSearchParams(location.hash.slice(1)).get("code") ?? "";
}

export function Join() {
  const [code, setCode] = useState(codeFromLink());
  const [preview, setPreview] = useState<InvitationPreview | null>(null);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, setError, submit } = useSubmit(async () => {
    if (!preview) return look(code);
    await signIn("invitation", {
      code,
      display_name: name,
      password,
    } satisfies Omit<AcceptInvitationRequest, "device">);
  });
  const at = (f: string) => (fieldOf(error) === f ? errorText(error) : null);

  async function look(c: string) {
    setError(null);
    try {
      const p = await previewInvitation(c);
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
    // A second invitation link opened in this tab changes only the fragment: no new page
    // load, so it is read here.
    const again = () => {
      const c = codeFromLink();
      if (!c) return;
      setCode(c);
      setPreview(null);
      void look(c);
    };
    addEventListener("hashchange", again);
    return () => removeEventListener("hashchange", again);
  }, []);

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
        <FormError error={error} fields={["display_name", "password"]} />
        <Busy busy={busy}>{preview ? t("join.submit") : t("join.check")}</Busy>
      </form>
    </Frame>
  );
}
