// An audit entry's details in sentences ("Role: Member → Admin", "3 sessions ended"), in
// the person's language: the server records ids, codes and the fields that changed; this
// names them. Unknown details (of a newer server) are listed as "field: value", never as JSON.
import { t, tn, type Key } from "../../lib/i18n";
import type { AuditEntry } from "../../gen/AuditEntry";
import type { OrgRole } from "../../gen/OrgRole";
import type { TeamKind } from "../../gen/TeamKind";
import { formatBytes, kindLabel, roleLabel } from "./shared";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** A label from the dictionary, or the text given when the dictionary has none. */
export function word(key: string, otherwise: string): string {
  const s = t(key as Key);
  return s === key ? otherwise : s;
}

/** A field's name in words. */
function fieldName(k: string): string {
  return word(`admin.audit.field.${k}`, k.replace(/_/g, " "));
}

/** A value in words: names for ids, yes/no, lists joined, "–" for nothing. */
function value(k: string, v: unknown, names: Map<string, string>): string {
  if (v === null || v === undefined || v === "") return "–";
  if (typeof v === "boolean") return v ? t("admin.audit.yes") : t("admin.audit.no");
  if (Array.isArray(v)) return v.length === 0 ? "–" : v.map((x) => value(k, x, names)).join(", ");
  if (typeof v === "string") {
    if (k === "role") return roleLabel(v as OrgRole);
    if (k === "kind") return kindLabel(v as TeamKind);
    if (k === "status" || k === "from_status") return word(`admin.status.${v}`, v);
    return names.get(v) ?? (k.endsWith("_id") ? t("admin.audit.gone") : v);
  }
  if (typeof v === "number" && k.endsWith("bytes")) return formatBytes(v);
  if (isObj(v)) return Object.entries(v).map(([kk, vv]) => `${fieldName(kk)}: ${value(kk, vv, names)}`).join("; ");
  return String(v);
}

/** What changed between two versions, one line per field that differs. */
function changes(from: unknown, to: unknown, names: Map<string, string>, field = ""): string[] {
  if (!isObj(from) || !isObj(to)) {
    const f = field ? `${fieldName(field)}: ` : "";
    return [`${f}${value(field, from, names)} → ${value(field, to, names)}`];
  }
  return [...new Set([...Object.keys(from), ...Object.keys(to)])]
    .filter((k) => JSON.stringify(from[k]) !== JSON.stringify(to[k]))
    .map((k) => `${fieldName(k)}: ${value(k, from[k], names)} → ${value(k, to[k], names)}`);
}

export function auditDetails(e: AuditEntry, names: Map<string, string>): string[] {
  const d = isObj(e.details) ? e.details : {};
  switch (e.action) {
    case "person.update": {
      const fields = Array.isArray(d.fields) ? d.fields.map((f) => fieldName(String(f))) : [];
      return fields.length ? [t("admin.audit.changedFields", { fields: fields.join(", ") })] : [];
    }
    case "person.role":
      return [t("admin.audit.roleChange", { from: value("role", d.from, names), to: value("role", d.to, names) })];
    case "person.suspend":
    case "person.deprovision":
    case "person.reactivate": {
      const out: string[] = [];
      if (str(d.from)) out.push(t("admin.audit.wasStatus", { status: value("status", d.from, names) }));
      if (typeof d.sessions_ended === "number") out.push(tn("admin.audit.sessionsEnded", d.sessions_ended));
      return out;
    }
    case "person.avatar":
      return typeof d.bytes === "number" ? [formatBytes(d.bytes)] : [];
    case "invitation.create":
    case "invitation.accept":
      return str(d.email) ? [t("admin.audit.asRole", { who: String(d.email), role: value("role", d.role, names) })] : [];
    case "team.create": {
      const out = [value("kind", d.kind, names)];
      if (str(d.parent_id)) out.push(t("admin.audit.under", { team: value("parent_id", d.parent_id, names) }));
      return out;
    }
    case "team.delete":
      return typeof d.members === "number" ? [tn("admin.audit.hadMembers", d.members)] : [];
    case "team.member.set":
      return [t("admin.audit.asRole", { who: value("person_id", d.person_id, names), role: d.role === "lead" ? t("admin.teams.lead") : t("admin.teams.member") })];
    case "team.member.remove":
      return [value("person_id", d.person_id, names)];
    case "org.create":
      return str(d.owner_email) ? [t("admin.audit.owner", { email: String(d.owner_email) })] : [];
  }
  if ("from" in d && "to" in d) return changes(d.from, d.to, names);
  return Object.entries(d).map(([k, v]) => `${fieldName(k)}: ${value(k, v, names)}`);
}
