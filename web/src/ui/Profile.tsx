// The person's own page: profile, devices (and linking new ones), safety numbers, language
// and theme, logging out.
import { useEffect, useState } from "preact/hooks";
import { Icon } from "./icons";
import { myDevices, revokeDevice } from "../lib/endpoints";
import { lang, setLang, t, formatDateTime } from "../lib/i18n";
import { navigate } from "../lib/router";
import { logout } from "../lib/session";
import { device, info, linkRequested, linkSeen, me, toast } from "../lib/state";
import { setTheme, theme, type ThemeChoice } from "../lib/theme";
import type { Device as DeviceRow } from "../gen/Device";
import type { LinkRequestView } from "../lib/device";
import { ask } from "./ask";
import { Busy, errorText, Field } from "./common";
import { useResource, useSubmit } from "./hooks";
import { ProfileEditor } from "./ProfileEditor";
import { PersonPicker } from "./PersonPicker";
import { SafetyNumber } from "./SafetyNumber";

function ProfileForm() {
  const p = me.value?.person;
  if (!p) return null;
  return (
    <section class="card" aria-labelledby="profile-h">
      <h2 id="profile-h">{t("profile.title")}</h2>
      <ProfileEditor
        person={p}
        prefix="me"
        onSaved={(person) => {
          if (me.value) me.value = { ...me.value, person };
          toast(t("profile.saved"));
        }}
      >
        <p class="muted">
          {p.email} · {t(`role.${p.role}`)}
          {p.teams.length > 0 && ` · ${p.teams.map((x) => x.name).join(", ")}`}
        </p>
      </ProfileEditor>
    </section>
  );
}

function Devices() {
  // A failure to load is not shown: the list comes again when the network is back.
  const devicesNow = useResource(myDevices, [], [] as DeviceRow[]);
  // Asked again as soon as a new device announces itself; seen here.
  const requestsNow = useResource(
    async () => (info.value?.has_identity ? device().linkRequests() : []),
    [linkRequested.value],
    [] as LinkRequestView[],
  );
  useEffect(() => {
    linkSeen.value = linkRequested.value;
  }, [linkRequested.value]);
  const devices = devicesNow.data;
  const requests = requestsNow.data;
  const load = () => Promise.all([devicesNow.reload(), requestsNow.reload()]).then(() => undefined);
  useEffect(() => {
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, []);
  const [codes, setCodes] = useState<Record<string, string>>({});
  // Revoking and approving: one at a time; a failure is a toast.
  const { busy, run } = useSubmit(async (change: () => Promise<void>) => {
    try {
      await change();
      await load();
    } catch (e) {
      toast(errorText(e), "error");
    }
  });
  async function revoke(d: DeviceRow) {
    const title = t("devices.confirmRevoke", { name: d.name });
    if (!(await ask({ title, yes: t("devices.revoke"), danger: true }))) return;
    void run(async () => {
      await revokeDevice(d.id);
      await device().dropDevice(d.id);
      toast(t("devices.revoked", { name: d.name }));
    });
  }
  function approve(r: LinkRequestView) {
    void run(async () => {
      await device().approve(r.id, codes[r.id] ?? "");
      toast(t("devices.linked"));
    });
  }
  return (
    <section class="card" aria-labelledby="devices-h">
      <h2 id="devices-h">{t("devices.title")}</h2>
      <ul class="device-list" data-testid="devices">
        {devices
          .filter((d) => !d.revoked)
          .map((d) => {
            // A device that asks to be linked has no keys or history yet: not one of the real ones.
            const waiting = requests.some((r) => r.device_id === d.id);
            return (
            <li key={d.id} data-device={d.id} class={waiting ? "waiting" : undefined}>
              <span class="person-body">
                <span class="person-name">
                  {d.name} {d.current && <span class="tag">{t("devices.thisOne")}</span>}
                  {waiting && (
                    <span class="tag waiting-tag" data-testid="device-waiting">
                      {t("devices.waiting")}
                    </span>
                  )}
                </span>
                <span class="muted small">
                  {d.platform} · {t("devices.lastSeen", { when: formatDateTime(Date.parse(d.last_seen_at)) })}
                </span>
              </span>
              {!d.current && (
                <button type="button" class="small danger" disabled={busy} onClick={() => revoke(d)}>
                  {t("devices.revoke")}
                </button>
              )}
            </li>
            );
          })}
      </ul>
      <h3>{t("devices.linkTitle")}</h3>
      {info.value?.has_identity ? (
        <>
          <p class="muted">{t("devices.linkHint")}</p>
          {requests.length === 0 ? (
            <p class="muted small">{t("devices.noRequests")}</p>
          ) : (
            requests.map((r) => (
              <form
                key={r.id}
                class="link-request"
                data-testid="link-request"
                onSubmit={(e) => {
                  e.preventDefault();
                  void approve(r);
                }}
              >
                <Field
                  label={t("devices.codeOf", { when: formatDateTime(Date.parse(r.created_at)) })}
                  name={`code-${r.id}`}
                  value={codes[r.id] ?? ""}
                  onInput={(v) => setCodes({ ...codes, [r.id]: v })}
                  autocomplete="off"
                />
                <Busy busy={busy} disabled={!(codes[r.id] ?? "").trim()}>
                  {t("devices.approve")}
                </Busy>
              </form>
            ))
          )}
        </>
      ) : (
        <p class="muted">{t("devices.noIdentity")}</p>
      )}
    </section>
  );
}

function SafetyNumbers() {
  const [who, setWho] = useState<string | null>(null);
  return (
    <section class="card" aria-labelledby="safety-h">
      <h2 id="safety-h">{t("safety.heading")}</h2>
      <p class="muted">{t("safety.explain")}</p>
      <PersonPicker selected={who ? [who] : []} single autofocus={false} onToggle={(p) => setWho(p.id)} />
      {who && <SafetyNumber user={who} onClose={() => setWho(null)} />}
    </section>
  );
}

function Settings() {
  const themes: ThemeChoice[] = ["system", "light", "dark"];
  return (
    <section class="card" aria-labelledby="settings-h">
      <h2 id="settings-h">{t("settings.title")}</h2>
      <div class="field">
        <label for="set-lang">{t("settings.language")}</label>
        <select id="set-lang" value={lang.value} onChange={(e) => setLang((e.target as HTMLSelectElement).value as "de" | "en")}>
          <option value="de">Deutsch</option>
          <option value="en">English</option>
        </select>
      </div>
      <div class="field">
        <label for="set-theme">{t("settings.theme")}</label>
        <select id="set-theme" value={theme.value} onChange={(e) => setTheme((e.target as HTMLSelectElement).value as ThemeChoice)}>
          {themes.map((x) => (
            <option key={x} value={x}>
              {t(`settings.theme.${x}`)}
            </option>
          ))}
        </select>
      </div>
      <button
        type="button"
        class="danger"
        onClick={async () => {
          const title = info.value?.has_identity ? t("settings.confirmLogoutIdentity") : t("settings.confirmLogout");
          if (await ask({ title, yes: t("nav.logout"), danger: true })) void logout();
        }}
      >
        {t("nav.logout")}
      </button>
    </section>
  );
}

export function Profile() {
  return (
    <section class="page" aria-labelledby="me-title">
      <header class="page-head">
        <button type="button" class="icon back" onClick={() => navigate("/")} aria-label={t("nav.back")}>
          <Icon name="back" />
        </button>
        <h1 id="me-title">{t("nav.profile")}</h1>
      </header>
      <div class="page-body">
        <ProfileForm />
        <Devices />
        <SafetyNumbers />
        <Settings />
      </div>
    </section>
  );
}
