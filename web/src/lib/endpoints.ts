// One typed function per endpoint of the HTTP API the screens use. Screens call these, never
// `api()` with a path: the path, the method and the shapes of request and answer live here
// once, typed with the generated types of kontor-proto (src/gen/).
import { api, API, postText } from "./api";
import type { AuditPage } from "../gen/AuditPage";
import type { AuditQuery } from "../gen/AuditQuery";
import type { Competences } from "../gen/Competences";
import type { CompetencesQuery } from "../gen/CompetencesQuery";
import type { CreateInvitationRequest } from "../gen/CreateInvitationRequest";
import type { CreateTeamRequest } from "../gen/CreateTeamRequest";
import type { Device } from "../gen/Device";
import type { DirectoryPage } from "../gen/DirectoryPage";
import type { DirectoryQuery } from "../gen/DirectoryQuery";
import type { ImportReport } from "../gen/ImportReport";
import type { Invitation } from "../gen/Invitation";
import type { InvitationCreated } from "../gen/InvitationCreated";
import type { InvitationPreview } from "../gen/InvitationPreview";
import type { Me } from "../gen/Me";
import type { Org } from "../gen/Org";
import type { OrgPatch } from "../gen/OrgPatch";
import type { Person } from "../gen/Person";
import type { Policies } from "../gen/Policies";
import type { PoliciesPatch } from "../gen/PoliciesPatch";
import type { ProfilePatch } from "../gen/ProfilePatch";
import type { OrgRole } from "../gen/OrgRole";
import type { SessionCreated } from "../gen/SessionCreated";
import type { SetRoleRequest } from "../gen/SetRoleRequest";
import type { SetTeamMemberRequest } from "../gen/SetTeamMemberRequest";
import type { Team } from "../gen/Team";
import type { TeamDetail } from "../gen/TeamDetail";
import type { TeamPatch } from "../gen/TeamPatch";
import type { TeamRole } from "../gen/TeamRole";

/** A query string of the filters that are set (`null`/`undefined`/`""` are left out). */
function query(q: Record<string, string | number | boolean | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== null && v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

const id = encodeURIComponent;

// The directory and people.
export const searchDirectory = (q: Partial<DirectoryQuery>) => api<DirectoryPage>("GET", `/directory${query(q)}`);
/** The organisation's competences (those of the people this person may find) that start with
 * `prefix`, or have a word that does, alphabetically: for suggesting them while typing. */
export const directoryCompetences = (q: Partial<CompetencesQuery>) =>
  api<Competences>("GET", `/directory/competences${query(q)}`);
export const getPerson = (personId: string) => api<Person>("GET", `/people/${id(personId)}`);
export const setRole = (personId: string, role: OrgRole) =>
  api<Person>("PUT", `/people/${id(personId)}/role`, { role } satisfies SetRoleRequest);
export type StatusChange = "suspend" | "reactivate" | "deprovision";
export const changeStatus = (personId: string, change: StatusChange) =>
  api<Person>("POST", `/people/${id(personId)}/${change}`);
export const updateProfile = (personId: string, patch: ProfilePatch) =>
  api<Person>("PATCH", `/people/${id(personId)}`, patch);

// Teams.
export const listTeams = () => api<Team[]>("GET", "/teams");
export const getTeam = (teamId: string) => api<TeamDetail>("GET", `/teams/${id(teamId)}`);
export const createTeam = (body: CreateTeamRequest) => api<Team>("POST", "/teams", body);
export const updateTeam = (teamId: string, patch: TeamPatch) => api<Team>("PATCH", `/teams/${id(teamId)}`, patch);
export const deleteTeam = (teamId: string) => api<void>("DELETE", `/teams/${id(teamId)}`);
export const setTeamMember = (teamId: string, userId: string, role: TeamRole) =>
  api<void>("PUT", `/teams/${id(teamId)}/members/${id(userId)}`, { role } satisfies SetTeamMemberRequest);
export const removeTeamMember = (teamId: string, userId: string) =>
  api<void>("DELETE", `/teams/${id(teamId)}/members/${id(userId)}`);

// Invitations.
export const listInvitations = () => api<Invitation[]>("GET", "/invitations");
export const createInvitation = (body: CreateInvitationRequest) => api<InvitationCreated>("POST", "/invitations", body);
export const revokeInvitation = (invitationId: string) => api<void>("DELETE", `/invitations/${id(invitationId)}`);
export const previewInvitation = (code: string) => api<InvitationPreview>("POST", "/invitations/preview", { code });
export const importInvitations = (csv: string) =>
  postText<ImportReport>("/invitations/import", "text/csv; charset=utf-8", csv);

// The organisation.
export const getPolicies = () => api<Policies>("GET", "/org/policies");
export const updatePolicies = (patch: PoliciesPatch) => api<Policies>("PATCH", "/org/policies", patch);
export const updateOrg = (patch: OrgPatch) => api<Org>("PATCH", "/org", patch);
export const uploadLogo = (bytes: Uint8Array) => api<Org>("PUT", "/org/logo", bytes);
export const deleteLogo = () => api<Org>("DELETE", "/org/logo");
/** The organisation's logo for an `<img>`; `version` busts the cache after a change. */
export const logoUrl = (slug: string, version?: number) =>
  `${API}/branding/logo${query({ org: slug, v: version })}`;

// The audit log.
export const auditPage = (q: Partial<AuditQuery>) => api<AuditPage>("GET", `/audit${query(q)}`);

// The signed-in person.
export const getMe = () => api<Me>("GET", "/me");

// The signed-in person's devices.
export const myDevices = () => api<Device[]>("GET", "/me/devices");
export const revokeDevice = (deviceId: string) => api<void>("DELETE", `/me/devices/${id(deviceId)}`);

// Sessions: a new one by logging in, by setting up the server, or by accepting an invitation.
const SESSION_PATHS = { login: "/auth/login", setup: "/setup", invitation: "/invitations/accept" } as const;
export type SessionStart = keyof typeof SESSION_PATHS;
export const createSession = (how: SessionStart, body: Record<string, unknown>) =>
  api<SessionCreated>("POST", SESSION_PATHS[how], body);
