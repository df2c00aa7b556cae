//! Settings from the environment (and an optional `.env`), each with a default that works on a
//! fresh machine. A bad value stops start-up with a message naming the setting.

mod providers;

use crate::storage::crypto::SecretKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the secret key comes from: the environment, or a file generated on first run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKeySource {
    Inline(String),
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen_addr: SocketAddr,
    pub base_url: Url,
    pub secret_key_source: SecretKeySource,
    pub session_ttl: Duration,
    pub trust_forwarded_for: bool,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// Development aid: hold the connections page's data back this long to inspect the loading state.
    pub debug_data_delay: Duration,
    /// Serve built-in stand-ins for every platform that has no credentials configured.
    pub sandbox: bool,
    /// The most one call to a platform may take.
    pub provider_timeout: Duration,
    /// Let people point Plugboard at servers on private or loopback addresses (a Listmonk or a
    /// Mastodon instance on the local network). Off by default: such URLs could reach internal services.
    pub allow_private_urls: bool,
    pub providers: crate::platforms::catalog::Providers,
    /// Run the refresh and webhook workers in this process.
    pub workers: bool,
    pub refresh_interval: Duration,
    pub refresh_concurrency: usize,
    /// How long a process holds an account while refreshing it; renewed while the call runs,
    /// so it only lapses when the process is gone.
    pub refresh_lease: Duration,
    /// On SIGTERM or SIGINT, how long work in flight may take to finish and store before exit.
    pub shutdown_grace: Duration,
    /// An account checked this recently is not checked again on page load.
    pub health_check_ttl: Duration,
    pub health_check_concurrency: usize,
    /// How long an account's history of refreshes and health checks is kept.
    pub check_history_days: u32,
    /// Bearer token for `/metrics`; without one, only loopback clients may read it.
    pub metrics_token: Option<String>,
    /// Anyone may sign up on the welcome page; off, accounts are made with the CLI only.
    pub open_sign_up: bool,
}

/// One setting: its variable, its default as the README and `--help` show it, and what it does.
/// A default in angle brackets or words is computed from other settings; any other default is
/// the value itself, and the only place that states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub default: &'static str,
    pub about: &'static str,
}

/// Every setting: the one table the configuration, `--help` and the README's table come from.
pub const SETTINGS: &[Setting] = &[
    Setting { name: "PLUGBOARD_DATA_DIR", default: "./data", about: "Directory for the SQLite database and the generated secret key." },
    Setting { name: "DATABASE_URL", default: "sqlite://<data dir>/plugboard.db", about: "sqlite://path or postgres://user@host/db. The SQLite file is created on first run." },
    Setting { name: "PLUGBOARD_LISTEN_ADDR", default: "127.0.0.1:3000", about: "Address and port the server listens on (falls back to LEPTOS_SITE_ADDR)." },
    Setting { name: "PLUGBOARD_BASE_URL", default: "http://localhost:<port>", about: "Public URL of this instance, used to build OAuth callback URLs. https makes cookies Secure." },
    Setting { name: "PLUGBOARD_SECRET_KEY", default: "generated into <data dir>/secret.key (mode 0600)", about: "32 bytes, base64 or hex, that encrypt tokens at rest. Keep it: losing it loses every connection." },
    Setting { name: "PLUGBOARD_SESSION_DAYS", default: "30", about: "How long a sign-in lasts." },
    Setting { name: "PLUGBOARD_TRUST_FORWARDED_FOR", default: "false", about: "Take the client address from X-Forwarded-For (only behind a proxy you run)." },
    Setting { name: "PLUGBOARD_LOG", default: "info", about: "Log filter, in tracing's EnvFilter syntax (e.g. plugboard=debug,info)." },
    Setting { name: "PLUGBOARD_LOG_FORMAT", default: "text", about: "text or json." },
    Setting { name: "PLUGBOARD_DEBUG_DATA_DELAY_MS", default: "0", about: "Development aid: delay the connections page's data to see its loading skeleton." },
    Setting { name: "PLUGBOARD_SANDBOX", default: "false", about: "Serve stand-ins for every platform without credentials (same as `serve --sandbox`). Refused unless the base URL is plain http on this machine." },
    Setting { name: "PLUGBOARD_SANDBOX_ALLOW_PUBLIC", default: "false", about: "Start in sandbox mode even though the base URL is https or not on this machine (a shared demo). Never on an instance with real accounts." },
    Setting { name: "PLUGBOARD_PROVIDER_TIMEOUT_MS", default: "10000", about: "The most one call to a platform may take." },
    Setting { name: "PLUGBOARD_ALLOW_PRIVATE_URLS", default: "false", about: "Allow Listmonk, Mastodon and Bluesky servers and webhook endpoints on private or loopback addresses." },
    Setting { name: "PLUGBOARD_WORKERS", default: "true", about: "Run the token refresh and webhook delivery workers in this process." },
    Setting { name: "PLUGBOARD_REFRESH_INTERVAL_SECS", default: "30", about: "How often the refresh worker looks for tokens that are due." },
    Setting { name: "PLUGBOARD_REFRESH_CONCURRENCY", default: "16", about: "How many refreshes one process runs at once." },
    Setting { name: "PLUGBOARD_REFRESH_LEASE_SECS", default: "30", about: "How long a process holds an account it is refreshing; renewed while the call runs, so it lapses only when the process is gone." },
    Setting { name: "PLUGBOARD_SHUTDOWN_GRACE_SECS", default: "30", about: "On SIGTERM or SIGINT, how long refreshes, health checks, deliveries and requests in flight may take to finish and store before the process exits." },
    Setting { name: "PLUGBOARD_HEALTH_CHECK_TTL_SECS", default: "300", about: "An account checked this recently is not checked again when the page loads." },
    Setting { name: "PLUGBOARD_HEALTH_CHECK_CONCURRENCY", default: "16", about: "How many health-check calls one process makes at once." },
    Setting { name: "PLUGBOARD_CHECK_HISTORY_DAYS", default: "30", about: "How many days each account's history of refreshes and health checks is kept (1-365)." },
    Setting { name: "PLUGBOARD_METRICS_TOKEN", default: "(none)", about: "Bearer token for /metrics; without one, only loopback clients that did not come through a proxy may read it." },
    Setting { name: "PLUGBOARD_OPEN_SIGN_UP", default: "true", about: "Let anyone create an account on the welcome page (throttled per client address). Off, accounts are made with `plugboard user create` only." },
];

/// The table's entry for a setting.
fn setting(name: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|setting| setting.name == name)
        .unwrap_or_else(|| panic!("{name} is in the table of settings"))
}

/// Reads settings through `lookup`, falling back to the table's defaults.
struct Reader<L> {
    lookup: L,
}

impl<L: Fn(&str) -> Option<String>> Reader<L> {
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// The value, or the table's default.
    fn text(&self, name: &'static str) -> String {
        self.get(name)
            .unwrap_or_else(|| setting(name).default.to_owned())
    }

    fn number(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        parse_number(name, &self.text(name), range)
    }

    fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        parse_bool(name, &self.text(name))
    }
}

impl Config {
    /// Reads `.env` (if present) and the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        if let Err(err) = dotenvy_load() {
            return Err(ConfigError::new(".env", err));
        }
        Config::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds the configuration from any source of variables (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let settings = Reader { lookup: &lookup };
        let data_dir = PathBuf::from(settings.text("PLUGBOARD_DATA_DIR"));

        let database_url = match settings.get("DATABASE_URL") {
            Some(url) => parse_database_url(&url)?,
            None => default_sqlite_url(&data_dir),
        };

        let listen_addr = match settings.get("PLUGBOARD_LISTEN_ADDR") {
            Some(addr) => parse_addr("PLUGBOARD_LISTEN_ADDR", &addr)?,
            None => match settings.get("LEPTOS_SITE_ADDR") {
                Some(addr) => parse_addr("LEPTOS_SITE_ADDR", &addr)?,
                None => parse_addr(
                    "PLUGBOARD_LISTEN_ADDR",
                    &settings.text("PLUGBOARD_LISTEN_ADDR"),
                )?,
            },
        };

        let base_url = match settings.get("PLUGBOARD_BASE_URL") {
            Some(url) => parse_base_url(&url)?,
            None => default_base_url(listen_addr),
        };

        let secret_key_source = match settings.get("PLUGBOARD_SECRET_KEY") {
            Some(key) => {
                SecretKey::parse(&key).map_err(|e| ConfigError::new("PLUGBOARD_SECRET_KEY", e))?;
                SecretKeySource::Inline(key)
            }
            None => SecretKeySource::File(data_dir.join("secret.key")),
        };

        let session_days = settings.number("PLUGBOARD_SESSION_DAYS", 1..=365)?;
        let debug_delay_ms = settings.number("PLUGBOARD_DEBUG_DATA_DELAY_MS", 0..=60_000)?;

        let log_format = match settings.text("PLUGBOARD_LOG_FORMAT").as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::new(
                    "PLUGBOARD_LOG_FORMAT",
                    format!("expected `text` or `json`, got `{other}`"),
                ))
            }
        };

        let sandbox = settings.flag("PLUGBOARD_SANDBOX")?;
        let sandbox_allow_public = settings.flag("PLUGBOARD_SANDBOX_ALLOW_PUBLIC")?;
        if sandbox && !sandbox_allow_public && !is_local_development(&base_url) {
            return Err(ConfigError::new(
                "PLUGBOARD_SANDBOX",
                format!(
                    "sandbox mode answers every platform with stand-ins, and {base_url} looks like a real deployment (https, or not this machine). Run without --sandbox, or set PLUGBOARD_SANDBOX_ALLOW_PUBLIC=true for a shared demo."
                ),
            ));
        }
        let provider_timeout_ms =
            settings.number("PLUGBOARD_PROVIDER_TIMEOUT_MS", 100..=120_000)?;
        let providers =
            crate::platforms::catalog::Providers::from_lookup(&lookup, &base_url, sandbox)?;
        let seconds = |name, range| settings.number(name, range).map(Duration::from_secs);
        let count = |name, range| settings.number(name, range).map(|n| n as usize);

        Ok(Config {
            data_dir,
            database_url,
            listen_addr,
            base_url,
            secret_key_source,
            session_ttl: Duration::from_secs(session_days * 24 * 60 * 60),
            trust_forwarded_for: settings.flag("PLUGBOARD_TRUST_FORWARDED_FOR")?,
            log_filter: settings.text("PLUGBOARD_LOG"),
            log_format,
            debug_data_delay: Duration::from_millis(debug_delay_ms),
            sandbox,
            provider_timeout: Duration::from_millis(provider_timeout_ms),
            allow_private_urls: settings.flag("PLUGBOARD_ALLOW_PRIVATE_URLS")?,
            providers,
            workers: settings.flag("PLUGBOARD_WORKERS")?,
            refresh_interval: seconds("PLUGBOARD_REFRESH_INTERVAL_SECS", 1..=86_400)?,
            refresh_concurrency: count("PLUGBOARD_REFRESH_CONCURRENCY", 1..=1024)?,
            refresh_lease: seconds("PLUGBOARD_REFRESH_LEASE_SECS", 1..=3600)?,
            shutdown_grace: seconds("PLUGBOARD_SHUTDOWN_GRACE_SECS", 0..=3600)?,
            health_check_ttl: seconds("PLUGBOARD_HEALTH_CHECK_TTL_SECS", 0..=86_400)?,
            health_check_concurrency: count("PLUGBOARD_HEALTH_CHECK_CONCURRENCY", 1..=1024)?,
            check_history_days: settings.number("PLUGBOARD_CHECK_HISTORY_DAYS", 1..=365)? as u32,
            metrics_token: settings.get("PLUGBOARD_METRICS_TOKEN"),
            open_sign_up: settings.flag("PLUGBOARD_OPEN_SIGN_UP")?,
        })
    }

    /// Cookies get the Secure flag when the public URL is https.
    pub fn cookies_secure(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// Reads the configured key, or creates one in the data directory on first run.
    pub fn load_secret_key(&self) -> Result<SecretKey, ConfigError> {
        match &self.secret_key_source {
            SecretKeySource::Inline(text) => {
                SecretKey::parse(text).map_err(|e| ConfigError::new("PLUGBOARD_SECRET_KEY", e))
            }
            SecretKeySource::File(path) => SecretKey::load_or_create(path)
                .map_err(|e| ConfigError::new("PLUGBOARD_SECRET_KEY", e)),
        }
    }

    /// Creates the data directory when the database lives in it.
    pub fn prepare_data_dir(&self) -> Result<(), ConfigError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            ConfigError::new(
                "PLUGBOARD_DATA_DIR",
                format!("cannot create {}: {e}", self.data_dir.display()),
            )
        })?;
        if let Some(path) = sqlite_path(&self.database_url) {
            if let Some(parent) = Path::new(&path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    ConfigError::new(
                        "DATABASE_URL",
                        format!("cannot create {}: {e}", parent.display()),
                    )
                })?;
            }
        }
        Ok(())
    }
}

fn dotenvy_load() -> Result<(), String> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(err) if err.not_found() => Ok(()),
        Err(err) => Err(err.to_string()),
    }
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("plugboard.db").display()
    )
}

fn parse_database_url(url: &str) -> Result<String, ConfigError> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Url::parse(url)
            .map_err(|e| ConfigError::new("DATABASE_URL", format!("not a valid URL: {e}")))?;
        Ok(url.to_owned())
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.trim_start_matches('/').is_empty() {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "the sqlite URL names no file",
            ));
        }
        // Create the file on first run unless the URL already chose a mode.
        if url.contains("mode=") || rest.contains(":memory:") {
            Ok(url.to_owned())
        } else if url.contains('?') {
            Ok(format!("{url}&mode=rwc"))
        } else {
            Ok(format!("{url}?mode=rwc"))
        }
    } else {
        Err(ConfigError::new(
            "DATABASE_URL",
            "expected a sqlite:// or postgres:// URL",
        ))
    }
}

/// The file path inside a sqlite URL, if it is one.
pub fn sqlite_path(database_url: &str) -> Option<String> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.to_owned())
}

fn parse_addr(setting: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.trim().parse().map_err(|_| {
        ConfigError::new(
            setting,
            format!("expected an address like 127.0.0.1:3000, got `{value}`"),
        )
    })
}

fn parse_base_url(value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim())
        .map_err(|e| ConfigError::new("PLUGBOARD_BASE_URL", format!("not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError::new(
            "PLUGBOARD_BASE_URL",
            "expected an http:// or https:// URL with a host",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            "PLUGBOARD_BASE_URL",
            "must not carry a query or fragment",
        ));
    }
    Ok(url)
}

/// A plain-http base URL on this machine: where a sandbox belongs.
fn is_local_development(base_url: &Url) -> bool {
    let loopback = match base_url.host() {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    base_url.scheme() == "http" && loopback
}

fn default_base_url(listen_addr: SocketAddr) -> Url {
    let host = if listen_addr.ip().is_loopback() || listen_addr.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        match listen_addr.ip() {
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        }
    };
    Url::parse(&format!("http://{host}:{}", listen_addr.port()))
        .expect("a host and port form a URL")
}

fn parse_number(
    setting: &'static str,
    value: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let number: u64 = value.trim().parse().map_err(|_| {
        ConfigError::new(setting, format!("expected a whole number, got `{value}`"))
    })?;
    if !range.contains(&number) {
        return Err(ConfigError::new(
            setting,
            format!(
                "must be between {} and {}, got {number}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(number)
}

fn parse_bool(setting: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "0" | "false" | "no" | "off" => Ok(false),
        "1" | "true" | "yes" | "on" => Ok(true),
        other => Err(ConfigError::new(
            setting,
            format!("expected true or false, got `{other}`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_work_with_nothing_set() {
        let config = config(&[]).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.database_url, "sqlite://./data/plugboard.db?mode=rwc");
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.base_url.as_str(), "http://localhost:3000/");
        assert_eq!(
            config.secret_key_source,
            SecretKeySource::File(PathBuf::from("./data/secret.key"))
        );
        assert!(!config.cookies_secure());
        assert_eq!(config.session_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(config.log_format, LogFormat::Text);
    }

    #[test]
    fn https_base_url_makes_cookies_secure() {
        let config = config(&[("PLUGBOARD_BASE_URL", "https://plugboard.example.com")]).unwrap();
        assert!(config.cookies_secure());
    }

    #[test]
    fn leptos_site_addr_is_the_fallback_listen_address() {
        let config = config(&[("LEPTOS_SITE_ADDR", "0.0.0.0:8080")]).unwrap();
        assert_eq!(config.listen_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(config.base_url.as_str(), "http://localhost:8080/");
    }

    #[test]
    fn sqlite_urls_get_create_mode_unless_they_choose_one() {
        let plain = config(&[("DATABASE_URL", "sqlite:///var/lib/plugboard.db")]).unwrap();
        assert_eq!(
            plain.database_url,
            "sqlite:///var/lib/plugboard.db?mode=rwc"
        );
        let chosen = config(&[("DATABASE_URL", "sqlite://x.db?mode=ro")]).unwrap();
        assert_eq!(chosen.database_url, "sqlite://x.db?mode=ro");
        assert_eq!(
            sqlite_path(&plain.database_url).as_deref(),
            Some("/var/lib/plugboard.db")
        );
    }

    #[test]
    fn postgres_urls_pass_through() {
        let config =
            config(&[("DATABASE_URL", "postgres://postgres@127.0.0.1/plugboard")]).unwrap();
        assert_eq!(
            config.database_url,
            "postgres://postgres@127.0.0.1/plugboard"
        );
        assert_eq!(sqlite_path(&config.database_url), None);
    }

    #[test]
    fn bad_values_name_their_setting() {
        let cases: &[(&str, &str)] = &[
            ("DATABASE_URL", "mysql://localhost/db"),
            ("DATABASE_URL", "sqlite://"),
            ("PLUGBOARD_LISTEN_ADDR", "localhost"),
            ("PLUGBOARD_BASE_URL", "ftp://example.com"),
            ("PLUGBOARD_BASE_URL", "https://example.com/?a=b"),
            ("PLUGBOARD_SECRET_KEY", "too-short"),
            ("PLUGBOARD_SESSION_DAYS", "0"),
            ("PLUGBOARD_SESSION_DAYS", "many"),
            ("PLUGBOARD_TRUST_FORWARDED_FOR", "perhaps"),
            ("PLUGBOARD_LOG_FORMAT", "xml"),
            ("PLUGBOARD_DEBUG_DATA_DELAY_MS", "-5"),
            ("PLUGBOARD_REFRESH_CONCURRENCY", "0"),
            ("PLUGBOARD_REFRESH_LEASE_SECS", "0"),
            ("PLUGBOARD_SHUTDOWN_GRACE_SECS", "forever"),
            ("PLUGBOARD_WORKERS", "sometimes"),
        ];
        for (setting, value) in cases {
            let err = config(&[(setting, value)]).unwrap_err();
            assert_eq!(err.setting, *setting, "{setting}={value}: {err}");
            assert!(err.to_string().starts_with(setting), "{err}");
        }
    }

    #[test]
    fn the_sandbox_refuses_to_start_where_real_people_could_reach_it() {
        for base in [
            "https://plugboard.example.com",
            "http://plugboard.example.com",
            "https://localhost:3000",
            "http://10.0.0.5:3000",
        ] {
            let err =
                config(&[("PLUGBOARD_SANDBOX", "true"), ("PLUGBOARD_BASE_URL", base)]).unwrap_err();
            assert_eq!(err.setting, "PLUGBOARD_SANDBOX", "{base}");
            assert!(config(&[
                ("PLUGBOARD_SANDBOX", "true"),
                ("PLUGBOARD_BASE_URL", base),
                ("PLUGBOARD_SANDBOX_ALLOW_PUBLIC", "true"),
            ])
            .is_ok());
        }
        for base in [
            "http://localhost:3000",
            "http://127.0.0.1:3100",
            "http://[::1]:3000",
        ] {
            assert!(
                config(&[("PLUGBOARD_SANDBOX", "true"), ("PLUGBOARD_BASE_URL", base)]).is_ok(),
                "{base}"
            );
        }
        assert!(
            config(&[("PLUGBOARD_SANDBOX", "true")]).is_ok(),
            "the default"
        );
    }

    #[test]
    fn an_inline_secret_key_is_used_as_given() {
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let config = config(&[("PLUGBOARD_SECRET_KEY", key)]).unwrap();
        assert!(config.load_secret_key().is_ok());
    }

    #[test]
    fn every_default_that_is_a_value_is_read_from_the_table() {
        // Numbers and flags in the table parse: the configuration's defaults are these values.
        let config = config(&[]).unwrap();
        assert_eq!(config.refresh_interval, Duration::from_secs(30));
        assert_eq!(config.health_check_ttl, Duration::from_secs(300));
        assert!(config.workers && config.open_sign_up && !config.sandbox);
        assert_eq!(config.log_filter, "info");
        for setting in SETTINGS {
            assert!(!setting.about.is_empty(), "{}", setting.name);
        }
    }

    #[test]
    fn the_readme_lists_every_setting_with_its_default() {
        let readme = include_str!("../../../README.md");
        let rows: Vec<(String, String)> = readme
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                let is_setting =
                    SETTINGS.iter().any(|s| s.name == name) || name.starts_with("PLUGBOARD_");
                let default = cells.get(2)?.replace('`', "");
                is_setting.then(|| (name.to_owned(), default))
            })
            .collect();
        let listed: Vec<(String, String)> = SETTINGS
            .iter()
            .map(|s| (s.name.to_owned(), s.default.to_owned()))
            .collect();
        assert_eq!(
            rows, listed,
            "README.md's settings table follows config::SETTINGS"
        );
    }
}
