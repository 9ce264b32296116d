// Generated from kontor-proto's ImportColumn by scripts/gen-types.sh. Do not edit.

import type { ImportColumn } from "./ImportColumn";

/** Every column of a CSV import: its English and German name, and whether a file must have it. */
export const IMPORT_COLUMNS: readonly { name: ImportColumn; german: string; required: boolean }[] = [
  { name: "email", german: "E-Mail", required: true },
  { name: "display_name", german: "Name", required: true },
  { name: "role", german: "Rolle", required: false },
  { name: "teams", german: "Teams", required: false },
  { name: "job_title", german: "Berufsbezeichnung", required: false },
  { name: "competences", german: "Kompetenzen", required: false },
  { name: "languages", german: "Sprachen", required: false },
  { name: "location", german: "Standort", required: false },
  { name: "phone_extension", german: "Durchwahl", required: false },
];
