//! Request and response bodies of the HTTP API under [`crate::API_PREFIX`].

use crate::ids::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A person's role in their organisation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    /// Full control, including other owners. An organisation always keeps at least one.
    Owner,
    /// Manages people, teams, invitations and policies; cannot touch owners.
    Admin,
    /// A colleague.
    Member,
    /// An external partner: sees only the people they share a team with.
    Guest,
}

impl OrgRole {
    pub const ALL: [OrgRole; 4] = [
        OrgRole::Owner,
        OrgRole::Admin,
        OrgRole::Member,
        OrgRole::Guest,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Owner => "owner",
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
            OrgRole::Guest => "guest",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Owners and admins administer the organisation.
    pub fn is_admin(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }
    /// Whether someone with this role may manage a person with `target` (change their role
    /// or status) and hand out `target`: admins everybody but owners, owners everybody.
    pub fn may_manage(self, target: OrgRole) -> bool {
        self.is_admin() && (target != OrgRole::Owner || self == OrgRole::Owner)
    }
}

/// Writes the role rules as a TypeScript module beside the generated types, so the web app
/// never mirrors them by hand (`scripts/gen-types.sh` runs every `export_bindings` test).
#[cfg(all(test, feature = "ts"))]
#[test]
fn export_bindings_org_roles() {
    let list = |roles: &mut dyn Iterator<Item = OrgRole>| {
        roles
            .map(|r| format!("\"{}\"", r.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = String::from(
        "// Generated from kontor-proto's OrgRole by scripts/gen-types.sh. Do not edit.\n\n\
         import type { OrgRole } from \"./OrgRole\";\n\n",
    );
    text.push_str(&format!(
        "/** Every role in an organisation, highest first. */\n\
         export const ORG_ROLES: readonly OrgRole[] = [{}];\n\n",
        list(&mut OrgRole::ALL.into_iter())
    ));
    text.push_str(&format!(
        "/** The roles that administer the organisation. */\n\
         export const ADMIN_ROLES: readonly OrgRole[] = [{}];\n\n",
        list(&mut OrgRole::ALL.into_iter().filter(|r| r.is_admin()))
    ));
    text.push_str(
        "/** For each role, the roles of the people it may manage and may hand out. */\n\
         export const MANAGES: Readonly<Record<OrgRole, readonly OrgRole[]>> = {\n",
    );
    for r in OrgRole::ALL {
        text.push_str(&format!(
            "  {}: [{}],\n",
            r.as_str(),
            list(&mut OrgRole::ALL.into_iter().filter(|t| r.may_manage(*t)))
        ));
    }
    text.push_str("};\n");
    let dir = std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "bindings".into());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(std::path::Path::new(&dir).join("roles.ts"), text).unwrap();
}

/// Whether an account can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    Active,
    /// Temporarily disabled; every session ended; can be reactivated.
    Suspended,
    /// Gone for good: every device and session revoked; the name stays for history.
    Deprovisioned,
}

impl PersonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::Suspended => "suspended",
            PersonStatus::Deprovisioned => "deprovisioned",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Suspended, Self::Deprovisioned]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The kinds of team an organisation is structured into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum TeamKind {
    Department,
    Project,
    Site,
    Region,
    /// A patient or case that a care team is organised around.
    Patient,
    /// A free group.
    Group,
}

impl TeamKind {
    pub const ALL: [TeamKind; 6] = [
        TeamKind::Department,
        TeamKind::Project,
        TeamKind::Site,
        TeamKind::Region,
        TeamKind::Patient,
        TeamKind::Group,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TeamKind::Department => "department",
            TeamKind::Project => "project",
            TeamKind::Site => "site",
            TeamKind::Region => "region",
            TeamKind::Patient => "patient",
            TeamKind::Group => "group",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A person's role inside a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    #[default]
    Member,
    /// Leads the team; may manage its members.
    Lead,
}

impl TeamRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Member => "member",
            TeamRole::Lead => "lead",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Member, Self::Lead]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

// ---------------------------------------------------------------------------------------------
// Organisations and policies

/// An organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    /// Short, unique name used at login.
    pub slug: String,
    /// The main colour of the apps (`#rrggbb`): buttons, links, badges.
    pub accent_color: Option<String>,
    /// The second colour (`#rrggbb`): the header and the installed app's frame.
    pub secondary_color: Option<String>,
    /// The name under the installed app's icon (at most 12 characters); absent for the
    /// name cut to 12. Absent too in what was stored before it existed.
    #[serde(default)]
    pub app_name: Option<String>,
    /// Whether a logo was uploaded (`GET /branding/logo?org={slug}`).
    pub has_logo: bool,
    pub created_at: String,
}

/// How an organisation looks in the apps, public so that the login screen and the installed
/// app show it before anybody logs in: its name, colours and whether it has a logo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Branding {
    pub name: String,
    pub slug: String,
    pub accent_color: Option<String>,
    pub secondary_color: Option<String>,
    /// The name under the installed app's icon; absent for the name cut to 12 characters.
    #[serde(default)]
    pub app_name: Option<String>,
    pub has_logo: bool,
}

/// Which organisation's branding: by slug; absent on a server with a single organisation.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BrandingQuery {
    pub org: Option<String>,
}

/// First start: create the first organisation with its owner, who is logged in at once.
/// Only while the server has no organisation, and only with the setup code from the data
/// directory (`setup-code`), so that nobody else who reaches the server first can take it.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub setup_code: String,
    pub org_name: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub device: NewDevice,
}

/// Create an organisation with its first owner (server operator only).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    pub name: String,
    /// The e-mail address of the owner, who is invited.
    #[serde(alias = "admin_email")]
    pub owner_email: String,
}

/// The new organisation and the owner's one-time invitation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CreateOrgResponse {
    pub org: Org,
    pub invitation: InvitationCreated,
}

/// Rename the organisation or change its colours or app name; absent fields stay, an empty
/// colour goes back to Kontor's, an empty app name to the name cut to 12 characters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    pub name: Option<String>,
    /// `#rrggbb`, or `""` for the default.
    pub accent_color: Option<String>,
    /// `#rrggbb`, or `""` for the default.
    pub secondary_color: Option<String>,
    /// The name under the installed app's icon: at most 12 characters with a letter, or `""`
    /// for the default.
    pub app_name: Option<String>,
}

/// Whether people see each other's presence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum PresenceMode {
    #[default]
    Shown,
    Hidden,
}

/// Who may create announcement channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ChannelCreators {
    /// The organisation's owners and admins (the default: a channel speaks for it).
    #[default]
    Admins,
    /// Every member (not guests).
    Members,
}

/// Per-organisation policies, used by the capabilities that build on them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Policies {
    pub presence: PresenceMode,
    pub read_receipts: bool,
    /// Messages older than this many days are deleted; `null` keeps them.
    pub retention_days: Option<u32>,
    /// The largest attachment a person may upload, in bytes.
    pub max_upload_bytes: u64,
    /// Whether guests may be invited and log in.
    pub guest_access: bool,
    /// E-mail domains whose owners may register themselves. Empty: off (the default).
    pub self_registration_domains: Vec<String>,
    /// The most the organisation's conversations may hold on the server, in MiB (up to what
    /// the server's operator allows).
    #[serde(default = "default_storage_quota_mib")]
    pub storage_quota_mib: u64,
    /// Who may create announcement channels.
    #[serde(default)]
    pub channel_creators: ChannelCreators,
    /// The organisation's owners and admins are admins of every group and channel they are
    /// in (so an owner can manage a group a colleague created). Not direct chats.
    #[serde(default = "yes")]
    pub org_admins_manage: bool,
}

fn yes() -> bool {
    true
}

/// 10 GiB.
fn default_storage_quota_mib() -> u64 {
    10 * 1024
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            presence: PresenceMode::Shown,
            read_receipts: true,
            retention_days: None,
            max_upload_bytes: 100 * 1024 * 1024,
            guest_access: true,
            self_registration_domains: Vec::new(),
            storage_quota_mib: default_storage_quota_mib(),
            channel_creators: ChannelCreators::Admins,
            org_admins_manage: true,
        }
    }
}

/// A change to the policies; absent fields stay as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct PoliciesPatch {
    pub presence: Option<PresenceMode>,
    pub read_receipts: Option<bool>,
    /// `0` switches retention off (keep forever).
    pub retention_days: Option<u32>,
    pub max_upload_bytes: Option<u64>,
    pub guest_access: Option<bool>,
    pub self_registration_domains: Option<Vec<String>>,
    pub storage_quota_mib: Option<u64>,
    pub channel_creators: Option<ChannelCreators>,
    pub org_admins_manage: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Invitations

/// Invite one person.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct CreateInvitationRequest {
    pub email: String,
    #[serde(default = "default_role")]
    pub role: OrgRole,
    /// Suggested display name; the person may change it when accepting.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Teams the person joins on accepting.
    #[serde(default)]
    pub team_ids: Vec<TeamId>,
    /// Profile fields set when the person accepts (`display_name` is ignored here).
    #[serde(default)]
    pub profile: Option<ProfilePatch>,
}

fn default_role() -> OrgRole {
    OrgRole::Member
}

/// An invitation as admins see it (the code itself is only shown once, at creation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Invitation {
    pub id: InvitationId,
    pub email: String,
    pub role: OrgRole,
    pub display_name: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub accepted_at: Option<String>,
    pub revoked: bool,
}

/// A new invitation with its one-time code and link.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct InvitationCreated {
    pub invitation: Invitation,
    /// The one-time code (e.g. `K7QX-3MHD-9TZA-W2PE`); shown only now.
    pub code: String,
    /// The link that opens the invitation in the web app.
    pub link: String,
}

/// What a person sees before accepting an invitation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct InvitationPreview {
    pub org: Org,
    pub email: String,
    pub role: OrgRole,
    pub display_name: Option<String>,
    pub expires_at: String,
}

/// An invitation code, in a body rather than a URL so that it never lands in access logs.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct InvitationCodeRequest {
    pub code: String,
}

/// Accept an invitation: choose a name and password, get a session on a new device.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    pub code: String,
    pub display_name: String,
    pub password: String,
    pub device: NewDevice,
}

/// The report of a CSV import: one line per input line.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportReport {
    pub imported: usize,
    pub skipped: usize,
    pub lines: Vec<ImportLine>,
}

/// What happened to one line of a CSV import.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportLine {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    pub email: Option<String>,
    pub imported: bool,
    /// Why the line was skipped: a stable code and what it is about. Apps render the
    /// sentence from it in their language.
    pub reason: Option<crate::import::ImportReason>,
    /// The same as an API error: a code, the column it is about, and the reason's sentence in
    /// the request's language.
    pub error: Option<crate::ErrorDetail>,
    pub invitation: Option<InvitationCreated>,
}

// ---------------------------------------------------------------------------------------------
// Accounts, devices, sessions

/// A device being registered at login or when accepting an invitation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    /// e.g. "Anna's phone"
    pub name: String,
    /// e.g. "web", "android", "cli"
    pub platform: String,
}

/// Log in with e-mail address and password.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The organisation's slug.
    pub org: String,
    pub email: String,
    pub password: String,
    pub device: NewDevice,
    /// The credential of a device that logged in to this account before (from its
    /// `SessionCreated`): with it, the right password gets through even while someone else's
    /// wrong guesses have the address or the account limited.
    #[serde(default)]
    pub known_device: Option<KnownDevice>,
}

/// What a device keeps from its login to prove, at a later login, that it has been here
/// before (a "device cookie"). It opens nothing by itself: the password is still needed.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct KnownDevice {
    pub device_id: DeviceId,
    pub secret: String,
}

impl std::fmt::Debug for KnownDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownDevice")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// A new session: the token is shown only now and is needed for every later request.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionCreated {
    /// Opaque bearer token.
    pub token: String,
    /// This device's credential for later logins (`LoginRequest.known_device` with
    /// `device.id`); shown only now. Keep it with the device, also after logging out.
    pub device_secret: String,
    pub session: SessionInfo,
    pub device: Device,
    pub person: Person,
    pub org: Org,
}

/// A device of the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Device {
    pub id: DeviceId,
    pub name: String,
    pub platform: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub revoked: bool,
    /// Whether this is the device of the request.
    pub current: bool,
}

/// A session of the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionInfo {
    pub id: SessionId,
    pub device_id: DeviceId,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: String,
    /// Whether this is the session of the request.
    pub current: bool,
}

/// Who the caller is.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Me {
    pub person: Person,
    pub org: Org,
    pub device: Device,
    pub session: SessionInfo,
    pub policies: Policies,
}

/// Change one's own password.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

// ---------------------------------------------------------------------------------------------
// People and directory

/// A person in the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Person {
    pub id: PersonId,
    pub display_name: String,
    pub email: String,
    pub role: OrgRole,
    pub status: PersonStatus,
    pub job_title: String,
    pub competences: Vec<String>,
    pub languages: Vec<String>,
    pub location: String,
    pub phone_extension: String,
    pub has_avatar: bool,
    pub teams: Vec<TeamMembership>,
    pub created_at: String,
    /// When the status last changed (suspended, reactivated, access ended); absent when it
    /// never did.
    #[serde(default)]
    pub status_since: Option<String>,
    /// Present when someone else in the organisation has the same display name or one that
    /// looks the same (a Cyrillic "А" for a Latin "A", "rn" for "m"): what tells them apart
    /// (the e-mail address). Apps show it next to the name.
    #[serde(default)]
    pub disambiguator: Option<String>,
}

/// A team a person belongs to, as seen from the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TeamMembership {
    pub team_id: TeamId,
    pub name: String,
    pub kind: TeamKind,
    pub role: TeamRole,
}

/// A change to a profile; absent fields stay as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub competences: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    pub location: Option<String>,
    pub phone_extension: Option<String>,
}

/// Change a person's role.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SetRoleRequest {
    pub role: OrgRole,
}

/// Directory search. All filters combine (AND); `q` matches names, job titles, teams,
/// competences, languages and locations, case- and umlaut-insensitively. `competence` finds
/// by prefix (of the competence or one of its words), `language` and `location` exactly;
/// all three ignore case and umlauts.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    pub q: Option<String>,
    /// Only members of this team (and its sub-teams).
    pub team: Option<TeamId>,
    /// What one of a person's competences, or a word of it, starts with.
    pub competence: Option<String>,
    /// One of a person's languages.
    pub language: Option<String>,
    /// A person's place.
    pub location: Option<String>,
    pub role: Option<OrgRole>,
    /// Exact e-mail address.
    pub email: Option<String>,
    /// Admins only: include suspended and deprovisioned people.
    pub include_inactive: Option<bool>,
    /// 1..=200, default 50.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// One page of directory results, best match first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DirectoryPage {
    pub people: Vec<Person>,
    /// How many people match in all.
    pub total: u64,
    /// The offset of the next page, if there is one.
    pub next_offset: Option<u32>,
}

/// The competences to suggest as a person types a competence filter.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[into_params(parameter_in = Query)]
pub struct CompetencesQuery {
    /// What the competence, or one of its words, starts with; case and umlauts do not
    /// matter ("wund" finds "Wundversorgung", "uber" and "über" find "Überleitung").
    pub prefix: Option<String>,
    /// 1..=100, default 20.
    pub limit: Option<u32>,
}

/// The distinct competences of the people the caller may find, in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Competences {
    pub competences: Vec<Competence>,
}

/// One competence: its most used spelling, and how many active people the caller may find
/// have it (spellings that differ only in case or umlauts count as one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Competence {
    pub name: String,
    pub people: u32,
}

// ---------------------------------------------------------------------------------------------
// Teams

/// A team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub kind: TeamKind,
    pub parent_id: Option<TeamId>,
    pub description: String,
    pub member_count: u64,
    pub created_at: String,
}

/// A team with its members.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TeamDetail {
    pub team: Team,
    pub members: Vec<TeamMember>,
    pub children: Vec<Team>,
}

/// A member of a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TeamMember {
    pub person_id: PersonId,
    pub display_name: String,
    pub role: TeamRole,
}

/// Create a team.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    pub name: String,
    pub kind: TeamKind,
    #[serde(default)]
    pub parent_id: Option<TeamId>,
    #[serde(default)]
    pub description: String,
}

/// Change a team; absent fields stay. `parent_id: null` with `clear_parent: true` makes it
/// top-level.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub kind: Option<TeamKind>,
    pub parent_id: Option<TeamId>,
    #[serde(default)]
    pub clear_parent: bool,
    pub description: Option<String>,
}

/// Add a person to a team or change their role in it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SetTeamMemberRequest {
    #[serde(default)]
    pub role: TeamRole,
}

// ---------------------------------------------------------------------------------------------
// Audit log

/// One admin action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: String,
    /// The acting person; absent for the server operator.
    pub actor: Option<PersonId>,
    pub actor_name: Option<String>,
    /// e.g. `person.suspend`, `team.create`
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<String>,
    /// What changed (never a secret).
    pub details: serde_json::Value,
    /// The address the request came from.
    pub address: Option<String>,
}

/// Filters for the audit log; newest first.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor: Option<PersonId>,
    /// Exact action or a prefix ending in `.` (e.g. `person.`).
    pub action: Option<String>,
    pub target_id: Option<String>,
    /// RFC 3339 timestamp.
    pub since: Option<String>,
    /// RFC 3339 timestamp.
    pub until: Option<String>,
    /// Entries older than this id (for paging).
    pub before: Option<AuditId>,
    /// 1..=500, default 100.
    pub limit: Option<u32>,
}

/// One page of the audit log.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page.
    pub next_before: Option<AuditId>,
}

// ---------------------------------------------------------------------------------------------
// Events

/// Catch up on events after a sequence number.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The last sequence number the client has seen (0 for none).
    pub after: Option<u64>,
    /// 1..=1000, default 500.
    pub limit: Option<u32>,
}

/// A batch of events.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EventPage {
    pub events: Vec<crate::Event>,
    /// The sequence number to resume after.
    pub last_seq: u64,
}

/// Server facts a client needs before logging in.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ServerInfo {
    pub version: String,
    /// Whether any organisation exists yet (first start).
    pub has_orgs: bool,
}

/// Requests that carry a password or a one-time code never print them.
macro_rules! redacted_debug {
    ($($ty:ident { $($field:ident),* }),* $(,)?) => {
        $(impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        })*
    };
}

redacted_debug!(
    SetupRequest {
        org_name,
        email,
        display_name,
        device
    },
    LoginRequest {
        org,
        email,
        device,
        known_device
    },
    SessionCreated {
        session,
        device,
        person,
        org
    },
    AcceptInvitationRequest {
        display_name,
        device
    },
    ChangePasswordRequest {},
);
