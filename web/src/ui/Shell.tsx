// The messenger: the conversation list beside the open conversation on wide screens, one of
// them at a time on a phone; the header with the organisation, the connection and the menu.
import { route, navigate } from "../lib/router";
import { Icon } from "./icons";
import { connection, info, isAdmin, linkRequested, linkSeen, logoVersion, me, recoveryKey } from "../lib/state";
import { logoUrl } from "../lib/endpoints";
import { t } from "../lib/i18n";
import { ConversationList } from "./ConversationList";
import { ConversationPane } from "./conversation";
import { NewChat } from "./NewChat";
import { Profile } from "./Profile";
import { Admin } from "./admin/Admin";
import { RecoveryKeyNotice } from "./RecoveryKeyNotice";
import { PersonCardHost } from "./PersonCard";

function Header() {
  const org = me.value?.org;
  return (
    <header class="topbar">
      <a
        class="brand"
        href="/"
        onClick={(e) => {
          e.preventDefault();
          navigate("/");
        }}
      >
        {org?.has_logo ? (
          <img
            class="logo"
            src={logoUrl(org.slug, logoVersion.value)}
            alt=""
          />
        ) : (
          <span class="logo mark" aria-hidden="true">
            K
          </span>
        )}
        <span class="org-name">{org?.name ?? "Kontor"}</span>
      </a>
      <nav class="menu" aria-label={t("nav.main")}>
        <a
          href="/new"
          class="icon-link"
          onClick={(e) => {
            e.preventDefault();
            navigate("/new");
          }}
          aria-label={t("nav.new")}
          title={t("nav.new")}
        >
          <Icon name="plus" />
        </a>
        {isAdmin() && (
          <a
            href="/admin/people"
            class="icon-link"
            onClick={(e) => {
              e.preventDefault();
              navigate("/admin/people");
            }}
            aria-label={t("nav.admin")}
            title={t("nav.admin")}
          >
            <Icon name="gear" />
          </a>
        )}
        <a
          href="/profile"
          class="icon-link"
          onClick={(e) => {
            e.preventDefault();
            navigate("/profile");
          }}
          aria-label={t("nav.profile")}
          title={t("nav.profile")}
        >
          <Icon name="person" />
        </a>
      </nav>
    </header>
  );
}

export function Shell() {
  const r = route.value;
  const detail =
    r.page === "conversation" || r.page === "new" || r.page === "profile" || r.page === "admin";
  let main;
  switch (r.page) {
    case "conversation":
      main = <ConversationPane id={r.id} panel={r.panel} />;
      break;
    case "new":
      main = <NewChat kind={r.kind} />;
      break;
    case "profile":
      main = <Profile />;
      break;
    case "admin":
      main = isAdmin() ? <Admin section={r.section} /> : <Empty />;
      break;
    default:
      main = <Empty />;
  }
  return (
    <div class={detail ? "shell detail" : "shell"} data-device={info.value?.device}>
      <Header />
      <ConnectionBar />
      {recoveryKey.value && <RecoveryKeyNotice />}
      {linkRequested.value > linkSeen.value && r.page !== "profile" && (
        <p class="banner warn" role="alert" data-testid="link-requested">
          {t("devices.asksToLink")}{" "}
          <a
            href="/profile"
            onClick={(e) => {
              e.preventDefault();
              navigate("/profile");
            }}
          >
            {t("devices.review")}
          </a>
        </p>
      )}
      {info.value?.identity_conflict && (
        <p class="banner warn" role="alert" data-testid="identity-conflict">
          {t("identity.conflict")}
        </p>
      )}
      <div class="panes">
        <aside class="list-pane" aria-label={t("list.title")}>
          <ConversationList filter={r.page === "home" ? r.filter : undefined} />
        </aside>
        <main class="main-pane" id="main">
          {main}
        </main>
      </div>
      <PersonCardHost />
    </div>
  );
}

/** Shown while the app is not connected: it keeps working, and sends when it is back. */
function ConnectionBar() {
  const c = connection.value;
  return (
    <div class={`conn-bar ${c}`} role="status" aria-live="polite" data-testid="connection" data-state={c}>
      {c === "online" ? <span class="sr-only">{t("connection.online")}</span> : t(`connection.${c}`)}
    </div>
  );
}

function Empty() {
  return (
    <div class="empty">
      <p>{t("list.pick")}</p>
    </div>
  );
}
