// The admin center's texts in English and German.
const en = {
  "admin.title": "Administration",
  "admin.section.people": "People",
  "admin.section.invitations": "Invitations",
  "admin.section.import": "CSV import",
  "admin.section.teams": "Teams",
  "admin.section.policies": "Policies",
  "admin.section.audit": "Audit log",
  "admin.section.branding": "Branding",
} as const;

const de: Record<keyof typeof en, string> = {
  "admin.title": "Verwaltung",
  "admin.section.people": "Personen",
  "admin.section.invitations": "Einladungen",
  "admin.section.import": "CSV-Import",
  "admin.section.teams": "Teams",
  "admin.section.policies": "Richtlinien",
  "admin.section.audit": "Protokoll",
  "admin.section.branding": "Erscheinungsbild",
};

export const admin = { en, de };
