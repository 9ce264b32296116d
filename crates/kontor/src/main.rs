//! `kontor`: the server and its command line in one binary.

use clap::{Parser, Subcommand};
use kontor_server::config::{Config, ConfigArgs, FileConfig};
use kontor_server::store::AuditCtx;
use kontor_server::{actions, clock, server};
use std::process::ExitCode;

/// Kontor: the self-hosted, end-to-end encrypted messenger for organisations.
/// Kontor: der selbst betriebene, Ende-zu-Ende-verschlüsselte Messenger für Organisationen.
#[derive(Debug, Parser)]
#[command(name = "kontor", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server. / Server starten.
    Serve(ConfigArgs),
    /// Organisations (server operator). / Organisationen (Serverbetrieb).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Configuration. / Konfiguration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI document. / OpenAPI-Dokument ausgeben.
    Openapi,
    #[command(flatten)]
    Client(kontor_cli::Command),
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation and invite its owner. Works on the data directory (also before
    /// the first start), or against a running server with --server.
    /// Organisation anlegen und die Inhaberin/den Inhaber einladen.
    Create {
        /// The organisation's name, e.g. "Pflegedienst Sonnenschein".
        name: String,
        /// The owner's e-mail address (`--admin` is the older name).
        #[arg(long, alias = "admin")]
        owner: String,
        /// A running server's URL; without it, the data directory is used directly.
        #[arg(long, env = "KONTOR_SERVER")]
        server: Option<String>,
        /// The operator token (default: read from the data directory).
        #[arg(long, env = "KONTOR_OPERATOR_TOKEN", hide_env_values = true)]
        operator_token: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print an example configuration file with every default.
    Example,
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KONTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => {
            let config = match Config::resolve(&args) {
                Ok(c) => c,
                Err(e) => return fail(kontor_cli::exit::USAGE, &e),
            };
            init_logging(config.log_json);
            match server::serve(config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(1, &e),
            }
        }
        Command::Org {
            command:
                OrgCommand::Create {
                    name,
                    owner,
                    server,
                    operator_token,
                    config,
                    json,
                },
        } => {
            let result = match server {
                Some(url) => org_create_remote(&url, operator_token, &config, &name, &owner).await,
                None => org_create_local(&config, &name, &owner).await,
            };
            match result {
                Ok(created) => {
                    kontor_cli::output::org_created(&created, json);
                    ExitCode::SUCCESS
                }
                Err(e) => kontor_cli::report(e),
            }
        }
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", FileConfig::example());
            ExitCode::SUCCESS
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&kontor_server::openapi()).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Command::Client(cmd) => kontor_cli::run(cmd).await,
    }
}

fn fail(code: u8, e: &anyhow::Error) -> ExitCode {
    eprintln!("error: {e:#}");
    ExitCode::from(code)
}

async fn org_create_local(
    args: &ConfigArgs,
    name: &str,
    owner: &str,
) -> Result<kontor_proto::api::CreateOrgResponse, kontor_cli::CliError> {
    let config = Config::resolve(args).map_err(kontor_cli::CliError::usage)?;
    let store = server::open_store(&config)
        .await
        .map_err(kontor_cli::CliError::other)?;
    server::ensure_operator_token(&config.data_dir).map_err(kontor_cli::CliError::other)?;
    let ctx = AuditCtx {
        actor: None,
        address: None,
        now: clock::Clock::now_ms(&clock::SystemClock),
    };
    let created = actions::create_org(&store, &config, name, owner, &ctx).await;
    store.close().await;
    created.map_err(|e| kontor_cli::CliError::api(e.body(kontor_cli::lang())))
}

async fn org_create_remote(
    url: &str,
    token: Option<String>,
    args: &ConfigArgs,
    name: &str,
    owner: &str,
) -> Result<kontor_proto::api::CreateOrgResponse, kontor_cli::CliError> {
    let token = match token {
        Some(t) => t,
        None => {
            let config = Config::resolve(args).map_err(kontor_cli::CliError::usage)?;
            let path = server::operator_token_path(&config.data_dir);
            std::fs::read_to_string(&path)
                .map_err(|e| {
                    kontor_cli::CliError::usage(anyhow::anyhow!(
                        "no operator token: pass --operator-token or run on the server's machine ({}: {e})",
                        path.display()
                    ))
                })?
                .trim()
                .to_owned()
        }
    };
    let client = kontor_cli::Client::new(url, Some(token));
    client
        .post(
            "/orgs",
            &kontor_proto::api::CreateOrgRequest {
                name: name.to_owned(),
                owner_email: owner.to_owned(),
            },
        )
        .await
}
