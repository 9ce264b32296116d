// The admin center's frame: its sections and what several sections share, in English and German. English is the key set; German must
// have every key, with the same {placeholders} (the type checker says when not).
import type { Translation } from "./types";

const en = {
  "admin.title": "Administration",

  "admin.section.people": "People",
  "admin.section.invitations": "Invitations",
  "admin.section.import": "CSV import",
  "admin.section.teams": "Teams",
  "admin.section.policies": "Policies",
  "admin.section.audit": "Audit log",
  "admin.section.branding": "Branding",

  "admin.actions": "Actions",

  "admin.loadMore": "Load more",

  "admin.undo": "Discard changes",

  "admin.copy": "Copy",

  "admin.copied": "Copied",

  "admin.copyWhat": "{what}: copy",

  "admin.status.active": "Active",
  "admin.status.suspended": "Suspended",
  "admin.status.deprovisioned": "Access ended",

  "admin.roleHint.owner": "Owners may do everything, including managing other owners.",
  "admin.roleHint.admin": "Admins manage people, teams and settings, but not owners.",
  "admin.roleHint.member": "Members use Kontor and find everybody in the directory.",
  "admin.roleHint.guest": "Guests only see the people in their own teams.",

  "admin.kind.department": "Department",
  "admin.kind.project": "Project",
  "admin.kind.site": "Site",
  "admin.kind.region": "Region",
  "admin.kind.patient": "Patient or case",
  "admin.kind.group": "Group",
} as const;

const de: Translation<typeof en> = {
  "admin.title": "Admin-Bereich",

  "admin.section.people": "Personen",
  "admin.section.invitations": "Einladungen",
  "admin.section.import": "CSV-Import",
  "admin.section.teams": "Teams",
  "admin.section.policies": "Richtlinien",
  "admin.section.audit": "Protokoll",
  "admin.section.branding": "Erscheinungsbild",

  "admin.actions": "Aktionen",

  "admin.loadMore": "Mehr laden",

  "admin.undo": "Änderungen verwerfen",

  "admin.copy": "Kopieren",

  "admin.copied": "Kopiert",

  "admin.copyWhat": "{what}: kopieren",

  "admin.status.active": "Aktiv",
  "admin.status.suspended": "Gesperrt",
  "admin.status.deprovisioned": "Zugang beendet",

  "admin.roleHint.owner": "Inhaber/innen dürfen alles, auch andere Inhaber/innen verwalten.",
  "admin.roleHint.admin": "Admins verwalten Personen, Teams und Einstellungen, aber keine Inhaber/innen.",
  "admin.roleHint.member": "Mitglieder nutzen Kontor und finden alle im Verzeichnis.",
  "admin.roleHint.guest": "Gäste sehen nur die Personen in ihren eigenen Teams.",

  "admin.kind.department": "Abteilung",
  "admin.kind.project": "Projekt",
  "admin.kind.site": "Standort",
  "admin.kind.region": "Region",
  "admin.kind.patient": "Patient/in oder Fall",
  "admin.kind.group": "Gruppe",
};

export default { en, de };
