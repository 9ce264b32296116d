// The admin center: people, invitations, CSV import, teams, policies, audit log, branding.
import { t } from "../../lib/i18n";
import { navigate, type AdminSection } from "../../lib/router";

const SECTIONS: AdminSection[] = [
  "people",
  "invitations",
  "import",
  "teams",
  "policies",
  "audit",
  "branding",
];

export function Admin(props: { section: AdminSection }) {
  return (
    <section class="page admin" aria-labelledby="admin-title">
      <header class="page-head">
        <button type="button" class="icon back" onClick={() => navigate("/")} aria-label={t("nav.back")}>
          ←
        </button>
        <h1 id="admin-title">{t("admin.title")}</h1>
      </header>
      <nav class="tabs" aria-label={t("admin.title")}>
        {SECTIONS.map((s) => (
          <a
            key={s}
            href={`/admin/${s}`}
            class={props.section === s ? "tab on" : "tab"}
            aria-current={props.section === s ? "page" : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(`/admin/${s}`);
            }}
          >
            {t(`admin.section.${s}`)}
          </a>
        ))}
      </nav>
      <div class="page-body" />
    </section>
  );
}
