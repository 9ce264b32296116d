//! The commands.

use crate::profile::{self, SavedSession};
use crate::{CliError, Client, output};
use clap::{Args, Subcommand, ValueEnum};
use kontor_proto::api::*;
use kontor_proto::{PersonId, TeamId};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options every command takes.
#[derive(Clone, Debug, Default, Args)]
pub struct Opts {
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Where the session is saved (default: $KONTOR_HOME or ~/.config/kontor).
    #[arg(long, global = true, env = "KONTOR_HOME")]
    pub home: Option<PathBuf>,
}

/// How the password is read.
#[derive(Clone, Debug, Default, Args)]
pub struct PasswordArgs {
    /// Read the password from the first line of standard input (for scripts).
    #[arg(long)]
    pub password_stdin: bool,
}

impl PasswordArgs {
    fn read(&self, prompt: &str) -> Result<String, CliError> {
        read_password("KONTOR_PASSWORD", self.password_stdin, prompt)
    }
}

/// A password from an environment variable, a line of standard input, or a prompt that does
/// not echo.
fn read_password(env: &str, stdin: bool, prompt: &str) -> Result<String, CliError> {
    if let Ok(p) = std::env::var(env) {
        return Ok(p);
    }
    if stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(CliError::other)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    rpassword::prompt_password(prompt).map_err(CliError::usage)
}

fn default_device_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "computer".to_owned());
    format!("CLI on {host}")
}

/// Commands for people and admins.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in with e-mail address and password. / Anmelden.
    Login(LoginArgs),
    /// Accept an invitation (code or link). / Einladung annehmen.
    Join(JoinArgs),
    /// End this session. / Abmelden.
    Logout(Opts),
    /// Who am I? / Wer bin ich?
    Whoami(Opts),
    /// My devices. / Meine Geräte.
    Device {
        #[command(flatten)]
        o: Opts,
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// My sessions. / Meine Sitzungen.
    Session {
        #[command(flatten)]
        o: Opts,
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// Change my password (current from KONTOR_PASSWORD, new from KONTOR_NEW_PASSWORD, or
    /// two lines on standard input with --password-stdin). / Passwort ändern.
    Password {
        #[command(flatten)]
        o: Opts,
        /// Read the current and then the new password from two lines of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Search the directory. / Im Verzeichnis suchen.
    Directory(DirectoryArgs),
    /// End-to-end encrypted conversations. / Ende-zu-Ende-verschlüsselte Unterhaltungen.
    Chat {
        #[command(flatten)]
        o: Opts,
        #[command(subcommand)]
        command: crate::chat_cmd::ChatCommand,
    },
    /// The safety number with a person: compare it with theirs. / Sicherheitsnummer.
    SafetyNumber {
        #[command(flatten)]
        o: Opts,
        /// The person (id or e-mail address).
        person: String,
    },
    /// Administration (owners and admins). / Admin-Bereich.
    Admin {
        #[command(flatten)]
        o: Opts,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub o: Opts,
    /// The server, for example `https://chat.example.org`.
    #[arg(long, env = "KONTOR_SERVER")]
    pub server: String,
    /// The organisation's short name (slug).
    #[arg(long)]
    pub org: String,
    #[arg(long)]
    pub email: String,
    /// A name for this device.
    #[arg(long)]
    pub device_name: Option<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    #[command(flatten)]
    pub o: Opts,
    /// The invitation code, or the whole link.
    pub code: String,
    /// The server (taken from the link if one is given).
    #[arg(long, env = "KONTOR_SERVER")]
    pub server: Option<String>,
    /// Your name as colleagues will see it.
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub device_name: Option<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List my devices.
    List,
    /// Revoke a device: its sessions end at once.
    Revoke { device_id: String },
    /// Link this new device: with the recovery key, or by approval on another device (shows a
    /// code to compare). / Dieses neue Gerät verknüpfen.
    Link {
        #[arg(long, env = "KONTOR_RECOVERY_KEY")]
        recovery_key: Option<String>,
        /// How long to wait for the approval, in seconds.
        #[arg(long, default_value_t = 300)]
        wait: u64,
    },
    /// Approve a new device by the code it shows (without a code: list requests).
    /// / Neues Gerät bestätigen.
    Approve { code: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List my sessions.
    List,
    /// End a session.
    Revoke { session_id: String },
}

#[derive(Debug, Args)]
pub struct DirectoryArgs {
    #[command(flatten)]
    pub o: Opts,
    /// Words to look for in names, job titles, teams, competences, languages, places.
    pub query: Vec<String>,
    /// A team (id or name), including its sub-teams.
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long)]
    pub competence: Option<String>,
    #[arg(long)]
    pub language: Option<String>,
    #[arg(long)]
    pub location: Option<String>,
    #[arg(long)]
    pub limit: Option<u32>,
    #[arg(long)]
    pub offset: Option<u32>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Owner,
    Admin,
    Member,
    Guest,
}

impl From<RoleArg> for OrgRole {
    fn from(r: RoleArg) -> OrgRole {
        match r {
            RoleArg::Owner => OrgRole::Owner,
            RoleArg::Admin => OrgRole::Admin,
            RoleArg::Member => OrgRole::Member,
            RoleArg::Guest => OrgRole::Guest,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    Department,
    Project,
    Site,
    Region,
    Patient,
    Group,
}

impl From<KindArg> for TeamKind {
    fn from(k: KindArg) -> TeamKind {
        match k {
            KindArg::Department => TeamKind::Department,
            KindArg::Project => TeamKind::Project,
            KindArg::Site => TeamKind::Site,
            KindArg::Region => TeamKind::Region,
            KindArg::Patient => TeamKind::Patient,
            KindArg::Group => TeamKind::Group,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PresenceArg {
    Shown,
    Hidden,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Invite one person. / Eine Person einladen.
    Invite {
        email: String,
        #[arg(long, value_enum, default_value = "member")]
        role: RoleArg,
        #[arg(long)]
        name: Option<String>,
        /// Teams to join (id or name; repeat).
        #[arg(long = "team")]
        teams: Vec<String>,
    },
    /// Invite many people from a CSV file (columns: email, display_name, role, teams,
    /// job_title, competences, languages, location, phone_extension).
    Import { file: PathBuf },
    /// List invitations.
    Invitations,
    /// Revoke an open invitation.
    RevokeInvitation { invitation_id: String },
    /// List people (with --inactive also suspended and deprovisioned ones).
    People {
        query: Vec<String>,
        #[arg(long)]
        inactive: bool,
    },
    /// Manage one person (id or e-mail address).
    Person {
        person: String,
        #[command(subcommand)]
        command: PersonCommand,
    },
    /// Teams.
    Team {
        #[command(subcommand)]
        command: TeamCommand,
    },
    /// Show or change policies.
    Policies {
        #[command(subcommand)]
        command: Option<PolicyCommand>,
    },
    /// Rename the organisation, or choose its app name (under the installed app's icon).
    Rename {
        /// The new name; leave it out to change only the app name.
        #[arg(required_unless_present = "app_name")]
        name: Option<String>,
        /// The name under the installed app's icon: at most 12 characters, "" for the name
        /// cut to 12.
        #[arg(long)]
        app_name: Option<String>,
    },
    /// Read the audit log.
    Audit {
        /// An action, or a prefix ending in "." such as "person."
        #[arg(long)]
        action: Option<String>,
        /// A person (id or e-mail address) who acted.
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        target: Option<String>,
        /// RFC 3339 time, e.g. 2026-11-01T00:00:00Z
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    Show,
    /// Edit the profile; lists replace the old ones.
    Edit {
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        job_title: Option<String>,
        /// Repeat for several; pass "" to clear.
        #[arg(long = "competence")]
        competences: Option<Vec<String>>,
        #[arg(long = "language")]
        languages: Option<Vec<String>>,
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        phone_extension: Option<String>,
    },
    /// Set the avatar (PNG, JPEG or WebP, at most 512 KiB).
    Avatar {
        file: PathBuf,
    },
    Role {
        #[arg(value_enum)]
        role: RoleArg,
    },
    Suspend,
    Reactivate,
    /// Remove for good: every device and session ends at once.
    Deprovision,
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    List,
    Show {
        team: String,
    },
    Create {
        name: String,
        #[arg(long, value_enum)]
        kind: KindArg,
        #[arg(long)]
        parent: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    Edit {
        team: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        top_level: bool,
        #[arg(long)]
        description: Option<String>,
    },
    Delete {
        team: String,
    },
    /// Add a person (or change their role in the team).
    Add {
        team: String,
        person: String,
        #[arg(long)]
        lead: bool,
    },
    Remove {
        team: String,
        person: String,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ChannelCreatorsArg {
    Admins,
    Members,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    Show,
    Set {
        #[arg(long, value_enum)]
        presence: Option<PresenceArg>,
        #[arg(long, value_enum)]
        read_receipts: Option<OnOff>,
        /// 0 keeps messages forever.
        #[arg(long)]
        retention_days: Option<u32>,
        #[arg(long)]
        max_upload_mb: Option<u64>,
        /// The most the organisation's conversations may hold on the server, in MiB.
        #[arg(long)]
        storage_quota_mb: Option<u64>,
        #[arg(long, value_enum)]
        guest_access: Option<OnOff>,
        /// Repeat for several; pass "" to switch self-registration off.
        #[arg(long = "self-registration-domain")]
        self_registration_domains: Option<Vec<String>>,
        /// Who creates announcement channels.
        #[arg(long, value_enum)]
        channel_creators: Option<ChannelCreatorsArg>,
        /// Owners and admins are admins of every group and channel they are in.
        #[arg(long, value_enum)]
        org_admins_manage: Option<OnOff>,
    },
}

/// Runs a command and turns the outcome into an exit code.
pub async fn run(cmd: Command) -> ExitCode {
    match dispatch(cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => crate::report(e),
    }
}

fn session_client(o: &Opts) -> Result<(Client, SavedSession), CliError> {
    let s = profile::load(o.home.as_ref())?;
    Ok((Client::new(&s.server, Some(s.token.clone())), s))
}

fn save_session(o: &Opts, server: &str, created: &SessionCreated) -> Result<(), CliError> {
    profile::remember_device(o.home.as_ref(), server, created)?;
    profile::save(
        o.home.as_ref(),
        &SavedSession {
            server: server.to_owned(),
            token: created.token.clone(),
            org: created.org.slug.clone(),
            email: created.person.email.clone(),
            device_id: created.device.id.to_string(),
        },
    )
}

/// Splits an invitation link into server and code.
fn parse_invitation(code: &str) -> (Option<String>, String) {
    if let Some((base, frag)) = code.split_once("/join#code=") {
        return (Some(base.to_owned()), frag.to_owned());
    }
    (None, code.to_owned())
}

pub(crate) async fn resolve_person(c: &Client, person: &str) -> Result<PersonId, CliError> {
    if let Ok(id) = person.parse::<PersonId>() {
        return Ok(id);
    }
    if person.contains('@') {
        // Admins also find inactive people; members search what they may see.
        let page: DirectoryPage = match c
            .get_query(
                "/directory",
                &[("email", person), ("include_inactive", "true")],
            )
            .await
        {
            Err(e) if e.exit_code == crate::exit::FORBIDDEN => {
                c.get_query("/directory", &[("email", person)]).await?
            }
            other => other?,
        };
        return page.people.first().map(|p| p.id).ok_or_else(|| CliError {
            exit_code: crate::exit::NOT_FOUND,
            message: format!("no person with address {person}"),
            body: None,
        });
    }
    Err(CliError::usage(format!(
        "{person}: give an id or an e-mail address"
    )))
}

async fn resolve_team(c: &Client, team: &str) -> Result<TeamId, CliError> {
    if let Ok(id) = team.parse::<TeamId>() {
        return Ok(id);
    }
    let teams: Vec<Team> = c.get("/teams").await?;
    teams
        .iter()
        .find(|t| t.name.to_lowercase() == team.to_lowercase())
        .map(|t| t.id)
        .ok_or_else(|| CliError {
            exit_code: crate::exit::NOT_FOUND,
            message: format!("no team named {team}"),
            body: None,
        })
}

fn list_arg(v: Option<Vec<String>>) -> Option<Vec<String>> {
    v.map(|l| l.into_iter().filter(|s| !s.trim().is_empty()).collect())
}

async fn dispatch(cmd: Command) -> Result<(), CliError> {
    match cmd {
        Command::Login(a) => {
            let password = a.password.read("Passwort / password: ")?;
            let c = Client::new(&a.server, None);
            // A device this home logged in with before is never locked out by others' guesses.
            let known_device =
                profile::known_device(a.o.home.as_ref(), &a.server, &a.org, &a.email);
            let created: SessionCreated = c
                .post(
                    "/auth/login",
                    &LoginRequest {
                        org: a.org,
                        email: a.email,
                        password,
                        device: NewDevice {
                            name: a.device_name.unwrap_or_else(default_device_name),
                            platform: "cli".to_owned(),
                        },
                        known_device,
                    },
                )
                .await?;
            save_session(&a.o, &a.server, &created)?;
            let device = crate::chat_cmd::bootstrap(&a.o).await?;
            output::session(&created, &device, a.o.json);
        }
        Command::Join(a) => {
            let (link_server, code) = parse_invitation(&a.code);
            let server = a
                .server
                .or(link_server)
                .ok_or_else(|| CliError::usage("--server is needed with a bare code"))?;
            let c = Client::new(&server, None);
            let preview: InvitationPreview = c
                .post(
                    "/invitations/preview",
                    &InvitationCodeRequest { code: code.clone() },
                )
                .await?;
            if !a.o.json {
                eprintln!(
                    "Einladung / invitation: {} <{}> → {}",
                    a.name, preview.email, preview.org.name
                );
            }
            let password = a
                .password
                .read("Neues Passwort / new password (min. 10): ")?;
            let created: SessionCreated = c
                .post(
                    "/invitations/accept",
                    &AcceptInvitationRequest {
                        code,
                        display_name: a.name,
                        password,
                        device: NewDevice {
                            name: a.device_name.unwrap_or_else(default_device_name),
                            platform: "cli".to_owned(),
                        },
                    },
                )
                .await?;
            save_session(&a.o, &server, &created)?;
            let device = crate::chat_cmd::bootstrap(&a.o).await?;
            output::session(&created, &device, a.o.json);
        }
        Command::Logout(o) => {
            let (c, _) = session_client(&o)?;
            let result: Result<serde_json::Value, _> = c.post_empty("/auth/logout").await;
            profile::remove(o.home.as_ref());
            match result {
                Ok(_) => {}
                Err(e) if e.exit_code == crate::exit::UNAUTHENTICATED => {}
                Err(e) => return Err(e),
            }
            if !o.json {
                println!("Abgemeldet / logged out");
            }
        }
        Command::Whoami(o) => {
            let (c, _) = session_client(&o)?;
            let me: Me = c.get("/me").await?;
            if o.json {
                output::json(&me);
            } else {
                output::person(&me.person, false);
                println!("{:<28}{} ({})", "Organisation", me.org.name, me.org.slug);
                println!("{:<28}{}", "Device / Gerät", me.device.name);
            }
        }
        Command::Device { o, command } => {
            let (c, _) = session_client(&o)?;
            match command {
                DeviceCommand::List => {
                    output::devices(&c.get::<Vec<Device>>("/me/devices").await?, o.json)
                }
                DeviceCommand::Revoke { device_id } => {
                    c.delete(&format!("/me/devices/{device_id}")).await?;
                    // The identity key no longer vouches for it either.
                    if let Ok(device) = device_id.parse() {
                        let mut s = crate::chat::Device::open(o.home.as_ref()).await?;
                        s.drop_device(device).await?;
                    }
                }
                DeviceCommand::Link { recovery_key, wait } => {
                    crate::chat_cmd::link(&o, recovery_key, wait).await?
                }
                DeviceCommand::Approve { code } => crate::chat_cmd::approve(&o, code).await?,
            }
        }
        Command::Session { o, command } => {
            let (c, _) = session_client(&o)?;
            match command {
                SessionCommand::List => {
                    output::sessions(&c.get::<Vec<SessionInfo>>("/me/sessions").await?, o.json)
                }
                SessionCommand::Revoke { session_id } => {
                    c.delete(&format!("/me/sessions/{session_id}")).await?;
                }
            }
        }
        Command::Password { o, password_stdin } => {
            let (c, _) = session_client(&o)?;
            let read = |env: &str, prompt: &str| read_password(env, password_stdin, prompt);
            let current = read("KONTOR_PASSWORD", "Aktuelles Passwort / current password: ")?;
            let new = read("KONTOR_NEW_PASSWORD", "Neues Passwort / new password: ")?;
            let _: serde_json::Value = c
                .post(
                    "/me/password",
                    &ChangePasswordRequest {
                        current_password: current,
                        new_password: new,
                    },
                )
                .await?;
        }
        Command::Directory(a) => {
            let (c, _) = session_client(&a.o)?;
            let mut q: Vec<(&str, String)> = Vec::new();
            if !a.query.is_empty() {
                q.push(("q", a.query.join(" ")));
            }
            if let Some(t) = &a.team {
                q.push(("team", resolve_team(&c, t).await?.to_string()));
            }
            for (k, v) in [
                ("competence", &a.competence),
                ("language", &a.language),
                ("location", &a.location),
            ] {
                if let Some(v) = v {
                    q.push((k, v.clone()));
                }
            }
            if let Some(l) = a.limit {
                q.push(("limit", l.to_string()));
            }
            if let Some(o) = a.offset {
                q.push(("offset", o.to_string()));
            }
            let page: DirectoryPage = c.get_query("/directory", &q).await?;
            if a.o.json {
                output::json(&page);
            } else {
                output::people(&page.people, Some(page.total), false);
            }
        }
        Command::Chat { o, command } => crate::chat_cmd::run(o, command).await?,
        Command::SafetyNumber { o, person } => crate::chat_cmd::safety_number(&o, &person).await?,
        Command::Admin { o, command } => admin(o, command).await?,
    }
    Ok(())
}

async fn admin(o: Opts, command: AdminCommand) -> Result<(), CliError> {
    let (c, _) = session_client(&o)?;
    match command {
        AdminCommand::Invite {
            email,
            role,
            name,
            teams,
        } => {
            let mut team_ids = Vec::new();
            for t in &teams {
                team_ids.push(resolve_team(&c, t).await?);
            }
            let created: InvitationCreated = c
                .post(
                    "/invitations",
                    &CreateInvitationRequest {
                        email,
                        role: role.into(),
                        display_name: name,
                        team_ids,
                        profile: None,
                    },
                )
                .await?;
            output::invitation_created(&created, o.json);
        }
        AdminCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
            let report: ImportReport = c.post_text("/invitations/import", "text/csv", text).await?;
            output::import_report(&report, o.json);
        }
        AdminCommand::Invitations => {
            output::invitations(&c.get::<Vec<Invitation>>("/invitations").await?, o.json)
        }
        AdminCommand::RevokeInvitation { invitation_id } => {
            c.delete(&format!("/invitations/{invitation_id}")).await?
        }
        AdminCommand::People { query, inactive } => {
            let mut q: Vec<(&str, String)> = vec![("limit", "200".to_owned())];
            if !query.is_empty() {
                q.push(("q", query.join(" ")));
            }
            if inactive {
                q.push(("include_inactive", "true".to_owned()));
            }
            let mut offset = 0u32;
            let mut all = Vec::new();
            let total = loop {
                let mut page_q = q.clone();
                page_q.push(("offset", offset.to_string()));
                let page: DirectoryPage = c.get_query("/directory", &page_q).await?;
                all.extend(page.people);
                match page.next_offset {
                    Some(n) => offset = n,
                    None => break page.total,
                }
            };
            output::people(&all, Some(total), o.json);
        }
        AdminCommand::Person { person, command } => {
            let id = resolve_person(&c, &person).await?;
            let path = format!("/people/{id}");
            let p: Person = match command {
                PersonCommand::Show => c.get(&path).await?,
                PersonCommand::Edit {
                    display_name,
                    job_title,
                    competences,
                    languages,
                    location,
                    phone_extension,
                } => {
                    c.patch(
                        &path,
                        &ProfilePatch {
                            display_name,
                            job_title,
                            competences: list_arg(competences),
                            languages: list_arg(languages),
                            location,
                            phone_extension,
                        },
                    )
                    .await?
                }
                PersonCommand::Avatar { file } => {
                    let bytes = std::fs::read(&file)
                        .map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
                    c.put_bytes(&format!("{path}/avatar"), bytes).await?
                }
                PersonCommand::Role { role } => {
                    c.put(
                        &format!("{path}/role"),
                        &SetRoleRequest { role: role.into() },
                    )
                    .await?
                }
                PersonCommand::Suspend => c.post_empty(&format!("{path}/suspend")).await?,
                PersonCommand::Reactivate => c.post_empty(&format!("{path}/reactivate")).await?,
                PersonCommand::Deprovision => c.post_empty(&format!("{path}/deprovision")).await?,
            };
            output::person(&p, o.json);
        }
        AdminCommand::Team { command } => match command {
            TeamCommand::List => output::teams(&c.get::<Vec<Team>>("/teams").await?, o.json),
            TeamCommand::Show { team } => {
                let id = resolve_team(&c, &team).await?;
                output::team_detail(&c.get::<TeamDetail>(&format!("/teams/{id}")).await?, o.json);
            }
            TeamCommand::Create {
                name,
                kind,
                parent,
                description,
            } => {
                let parent_id = match parent {
                    Some(p) => Some(resolve_team(&c, &p).await?),
                    None => None,
                };
                let team: Team = c
                    .post(
                        "/teams",
                        &CreateTeamRequest {
                            name,
                            kind: kind.into(),
                            parent_id,
                            description,
                        },
                    )
                    .await?;
                output::teams(&[team], o.json);
            }
            TeamCommand::Edit {
                team,
                name,
                kind,
                parent,
                top_level,
                description,
            } => {
                let id = resolve_team(&c, &team).await?;
                let parent_id = match parent {
                    Some(p) => Some(resolve_team(&c, &p).await?),
                    None => None,
                };
                let team: Team = c
                    .patch(
                        &format!("/teams/{id}"),
                        &TeamPatch {
                            name,
                            kind: kind.map(Into::into),
                            parent_id,
                            clear_parent: top_level,
                            description,
                        },
                    )
                    .await?;
                output::teams(&[team], o.json);
            }
            TeamCommand::Delete { team } => {
                let id = resolve_team(&c, &team).await?;
                c.delete(&format!("/teams/{id}")).await?;
            }
            TeamCommand::Add { team, person, lead } => {
                let id = resolve_team(&c, &team).await?;
                let user = resolve_person(&c, &person).await?;
                let role = if lead {
                    TeamRole::Lead
                } else {
                    TeamRole::Member
                };
                let _: serde_json::Value = c
                    .put(
                        &format!("/teams/{id}/members/{user}"),
                        &SetTeamMemberRequest { role },
                    )
                    .await?;
            }
            TeamCommand::Remove { team, person } => {
                let id = resolve_team(&c, &team).await?;
                let user = resolve_person(&c, &person).await?;
                c.delete(&format!("/teams/{id}/members/{user}")).await?;
            }
        },
        AdminCommand::Policies { command } => {
            let p: Policies = match command {
                None | Some(PolicyCommand::Show) => c.get("/org/policies").await?,
                Some(PolicyCommand::Set {
                    presence,
                    read_receipts,
                    retention_days,
                    max_upload_mb,
                    storage_quota_mb,
                    guest_access,
                    self_registration_domains,
                    channel_creators,
                    org_admins_manage,
                }) => {
                    let on = |v: Option<OnOff>| v.map(|v| matches!(v, OnOff::On));
                    c.patch(
                        "/org/policies",
                        &PoliciesPatch {
                            presence: presence.map(|p| match p {
                                PresenceArg::Shown => PresenceMode::Shown,
                                PresenceArg::Hidden => PresenceMode::Hidden,
                            }),
                            read_receipts: on(read_receipts),
                            retention_days,
                            max_upload_bytes: max_upload_mb.map(|m| m.saturating_mul(1024 * 1024)),
                            guest_access: on(guest_access),
                            self_registration_domains: list_arg(self_registration_domains),
                            storage_quota_mib: storage_quota_mb,
                            channel_creators: channel_creators.map(|c| match c {
                                ChannelCreatorsArg::Admins => ChannelCreators::Admins,
                                ChannelCreatorsArg::Members => ChannelCreators::Members,
                            }),
                            org_admins_manage: on(org_admins_manage),
                        },
                    )
                    .await?
                }
            };
            output::policies(&p, o.json);
        }
        AdminCommand::Rename { name, app_name } => {
            let org: Org = c
                .patch(
                    "/org",
                    &OrgPatch {
                        name,
                        app_name,
                        ..Default::default()
                    },
                )
                .await?;
            if o.json {
                output::json(&org);
            } else {
                match &org.app_name {
                    Some(app) => println!("{} ({}), app: {app}", org.name, org.slug),
                    None => println!("{} ({})", org.name, org.slug),
                }
            }
        }
        AdminCommand::Audit {
            action,
            actor,
            target,
            since,
            until,
            limit,
        } => {
            let mut q: Vec<(&str, String)> = Vec::new();
            if let Some(a) = action {
                q.push(("action", a));
            }
            if let Some(a) = actor {
                q.push(("actor", resolve_person(&c, &a).await?.to_string()));
            }
            for (k, v) in [("target_id", target), ("since", since), ("until", until)] {
                if let Some(v) = v {
                    q.push((k, v));
                }
            }
            if let Some(l) = limit {
                q.push(("limit", l.to_string()));
            }
            output::audit(&c.get_query::<AuditPage, _>("/audit", &q).await?, o.json);
        }
    }
    Ok(())
}
