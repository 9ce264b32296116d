// The admin center: people, invitations, CSV import, teams, policies, audit log, branding.
import type { JSX } from "preact";
import { Icon } from "../icons";
import { t } from "../../lib/i18n";
import { navigate, type AdminSection } from "../../lib/router";
import { Audit } from "./Audit";
import { Branding } from "./Branding";
import { Import } from "./Import";
import { Invitations } from "./invitations";
import { People } from "./people";
import { Policies } from "./Policies";
import { Teams } from "./teams";
import "./admin.css";

const SECTIONS: AdminSection[] = [
  "people",
  "invitations",
  "import",
  "teams",
  "policies",
  "audit",
  "branding",
];

const PAGES: Record<AdminSection, () => JSX.Element | null> = {
  people: People,
  invitations: Invitations,
  import: Import,
  teams: Teams,
  policies: Policies,
  audit: Audit,
  branding: Branding,
};

export function Admin(props: { section: AdminSection }) {
  const Page = PAGES[props.section];
  return (
    <section class="page admin" aria-labelledby="admin-title">
      <header class="page-head">
        <button type="button" class="icon back" onClick={() => navigate("/")} aria-label={t("nav.back")}>
          <Icon name="back" />
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
      <div class="page-body admin-body">
        <Page key={props.section} />
      </div>
    </section>
  );
}
