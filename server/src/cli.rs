//! The `plugboard` command line.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "plugboard",
    version,
    about = "Connect the social accounts your publishing tools post to, and keep them connected.",
    after_help = settings_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (what `plugboard` does with no command). Applies pending migrations first.
    Serve {
        /// Serve built-in stand-ins for every platform that has no credentials configured, so
        /// every connect works with no network and no provider apps (same as PLUGBOARD_SANDBOX=1).
        #[arg(long)]
        sandbox: bool,
    },
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage the people who can sign in.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage workspaces and who belongs to them.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage plans and which workspace is on which.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Helpers for development, screenshots and benchmarks.
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input (without echo on a terminal).
    Create {
        /// The email address the user signs in with.
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// List every workspace: id, plan, people and accounts.
    List,
    /// Create a workspace owned by someone who has signed up.
    Create {
        /// The workspace's name.
        name: String,
        /// The email address of its owner.
        #[arg(long)]
        owner: String,
    },
    /// Add someone who has signed up to a workspace.
    Add {
        /// The workspace's id, or its name when only one workspace has it.
        workspace: String,
        /// The person's email address.
        email: String,
        /// Their role: owner, admin, member or viewer.
        #[arg(long, value_parser = parse_role)]
        role: domain::Role,
    },
}

fn parse_role(role: &str) -> Result<domain::Role, String> {
    domain::Role::parse(role).ok_or_else(|| {
        let known: Vec<&str> = domain::Role::all().iter().map(|r| r.as_str()).collect();
        format!("no role `{role}`; the roles are: {}", known.join(", "))
    })
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Put a workspace on a plan (see `plugboard plan list`).
    Set {
        /// The workspace's id (see `plugboard workspace list`), or its name when only one
        /// workspace has it.
        workspace: String,
        /// The plan's id, e.g. free, pro or business.
        plan: String,
    },
    /// List the plans and their limits.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Give a user demo accounts, one in each token status, then more up to --accounts.
    /// Their tokens are placeholders that no platform accepts.
    SeedDemo {
        /// The user's email address.
        email: String,
        /// How many accounts to add.
        #[arg(long, default_value_t = 6)]
        accounts: usize,
    },
    /// Give a user accounts whose tokens the sandbox accepts (run the server with --sandbox).
    #[cfg(feature = "sandbox")]
    SeedSandbox {
        /// The user's email address.
        email: String,
        /// How many accounts to add.
        #[arg(long, default_value_t = 20)]
        accounts: usize,
        /// Their platform.
        #[arg(long, default_value = "reddit")]
        platform: String,
    },
    /// Benchmark the refresh worker: due accounts against a token endpoint with a fixed latency.
    #[cfg(feature = "sandbox")]
    BenchRefresh {
        /// How many due accounts.
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        /// How long the token endpoint takes to answer, in milliseconds.
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        /// How many refreshes run at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Run on PostgreSQL: the URL of a server where a throwaway database may be created.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Make a user's tokens expire now (to watch the worker refresh them, or the page warn).
    ExpireTokens {
        /// The user's email address.
        email: String,
        /// Only this platform's accounts (e.g. youtube).
        #[arg(long)]
        platform: Option<String>,
    },
}

fn settings_help() -> String {
    let mut help = String::from(
        "Settings (environment variables, or a .env file in the working directory):\n",
    );
    for setting in engine::config::SETTINGS {
        help.push_str(&format!(
            "  {}\n      {} [default: {}]\n",
            setting.name, setting.about, setting.default
        ));
    }
    help.push_str(
        "  <P>_CLIENT_ID, <P>_CLIENT_SECRET, <P>_AUTH_URL, <P>_TOKEN_URL, <P>_API_URL, <P>_REVOKE_URL\n      \
         Each platform's app credentials and URLs, with <P> one of X LINKEDIN YOUTUBE TIKTOK THREADS\n      \
         INSTAGRAM FACEBOOK PINTEREST REDDIT SLACK MASTODON BLUESKY TELEGRAM LISTMONK (see the README).\n",
    );
    help
}
