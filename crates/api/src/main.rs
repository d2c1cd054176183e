//! The `inclusion` command: serve the API, migrate, print the OpenAPI document, mint a
//! development token.

use clap::{Parser, Subcommand};
use domain::access::Role;
use inclusion_api::auth::TokenService;
use inclusion_api::config::{DEV_JWT_SECRET, JwtSettings, Settings};
use inclusion_api::{Application, jobs, openapi, telemetry};
use persistence::Store;
use uuid::Uuid;

mod import_cli;

#[derive(Parser)]
#[command(name = "inclusion", version, about = "Open API for local partnerships for social inclusion")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations, then serve the API (configuration from the environment).
    Serve {
        /// Development mode: without INCLUSION_JWT_SECRET, accept tokens signed with the public
        /// built-in development secret (announced in the log). Without it, the server refuses
        /// to start unless INCLUSION_JWT_SECRET or a JWKS is configured.
        #[arg(long)]
        dev: bool,
        /// Load the demo dataset (Žluticko, Rozvodí) when the database is empty.
        #[arg(long)]
        demo: bool,
        /// Print a 12-hour admin token at start (development).
        #[arg(long)]
        print_token: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Fill an empty database with a synthetic dataset for benchmarks (`make bench`).
    BenchData {
        #[arg(long, default_value_t = 1000)]
        partnerships: usize,
        #[arg(long, default_value_t = 15000)]
        organizations: usize,
        #[arg(long, default_value_t = 15000)]
        people: usize,
        #[arg(long, default_value_t = 20000)]
        meetings: usize,
        /// Measures in each partnership's plan in force (0: no plans, calls or projects).
        #[arg(long, default_value_t = 20)]
        measures_per_plan: usize,
        #[arg(long, default_value_t = 1000)]
        projects: usize,
    },
    /// Mint a token signed with INCLUSION_JWT_SECRET (or the development secret, which only a
    /// `serve --dev` server accepts).
    Token {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The token subject, recorded as the actor of every write (default: `dev-<role>`).
        #[arg(long)]
        subject: Option<String>,
        /// A partnership a consultant is assigned to or a partner belongs to (repeatable).
        #[arg(long = "partnership")]
        partnerships: Vec<Uuid>,
        /// A partner's organization.
        #[arg(long)]
        organization: Option<Uuid>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 12 * 3600)]
        ttl: u64,
    },
    /// Import a CSV or JSON file into a running server (`/api/v1/imports/<resource>`); exits
    /// non-zero when a row failed.
    Import(import_cli::ImportArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Admin,
    Consultant,
    Partner,
    Reporter,
    Importer,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Consultant => Role::Consultant,
            RoleArg::Partner => Role::Partner,
            RoleArg::Reporter => Role::Reporter,
            RoleArg::Importer => Role::Importer,
        }
    }
}

/// mimalloc rather than glibc's malloc: with glibc every thread that allocates gets an arena
/// that keeps what was freed (each actix worker held ~18 MB of start-up garbage, the pipeline
/// report's bursts grew the heap by 40 MB that never came back); mimalloc returns freed pages.
/// Built with its arenas committed on demand (`.cargo/config.toml`): its default, committing the
/// first arena at once, kept 18–30 MB more resident for no measured gain in requests/s.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    match cli.command {
        Command::Import(args) => std::process::exit(import_cli::run(args).await?),
        Command::Openapi => {
            print!("{}", openapi::document_json()?);
        }
        Command::Token { role, subject, partnerships, organization, ttl } => {
            let role = Role::from(role);
            let subject = subject.unwrap_or_else(|| format!("dev-{}", role.as_str()));
            let mut jwt = settings.jwt.clone();
            if jwt.secret.is_empty() {
                eprintln!(
                    "warning: INCLUSION_JWT_SECRET is not set: signing with the PUBLIC development secret; only a server started with `inclusion serve --dev` accepts this token"
                );
                jwt.secret = DEV_JWT_SECRET.to_owned();
            }
            println!("{}", TokenService::new(&jwt).issue(&subject, role, partnerships, organization, ttl)?);
        }
        Command::BenchData { partnerships, organizations, people, meetings, measures_per_plan, projects } => {
            telemetry::init(settings.log_format);
            settings.prepare_sqlite_dir()?;
            let store = Store::connect(&settings.database_url, 1).await?;
            store.migrate().await?;
            fixtures::bench::fill(&store, fixtures::bench::Volume { partnerships, organizations, people, meetings, measures_per_plan, projects }).await?;
            tracing::info!(partnerships, organizations, people, meetings, measures_per_plan, projects, "benchmark dataset loaded");
        }
        Command::Migrate => {
            telemetry::init(settings.log_format);
            settings.prepare_sqlite_dir()?;
            let store = Store::connect(&settings.database_url, 1).await?;
            store.migrate().await?;
            persistence::esif::ensure_reference_programmes(&store).await?;
            tracing::info!("migrations applied, reference programmes present");
        }
        Command::Serve { dev, demo, print_token } => {
            let mut settings = settings;
            settings.dev_mode = dev;
            // Before anything else: a server anyone could mint tokens for does not start.
            settings.check_identity()?;
            telemetry::init(settings.log_format);
            tracing::info!(settings = ?settings, "starting");
            settings.prepare_sqlite_dir()?;
            let store = Store::connect(&settings.database_url, settings.db_pool).await?;
            store.migrate().await?;
            store.purge_idempotency_keys().await?;
            persistence::esif::ensure_reference_programmes(&store).await?;
            if demo {
                fixtures::demo::load_if_empty(&store).await?;
            }
            // A failure here (another replica expiring the same plans) must not stop the server:
            // the hourly run tries again.
            if let Err(e) = jobs::expire_plans_once(&store).await {
                tracing::error!(error = format!("{e:#}"), "the plan-expiry job failed at start; it runs again in an hour");
            }
            jobs::schedule_plan_expiry(store.clone());
            if print_token {
                match settings.hs256_secret() {
                    Some(secret) => {
                        let jwt = JwtSettings { secret: secret.to_owned(), ..settings.jwt.clone() };
                        let token = TokenService::new(&jwt).issue("demo-admin", Role::Admin, vec![], None, 12 * 3600)?;
                        println!("\nAdmin token (12 h):\n\n  export TOKEN={token}\n\nSwagger UI: http://{}/docs/\n", settings.bind);
                    }
                    None => tracing::warn!("--print-token needs INCLUSION_JWT_SECRET (or --dev): tokens come from the identity provider"),
                }
            }
            let app = Application::build_with_store(settings, store)?;
            app.run_until_stopped().await?;
        }
    }
    Ok(())
}
