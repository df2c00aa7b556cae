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
    /// Bearer token for `/metrics`; without one, only loopback clients may read it.
    pub metrics_token: Option<String>,
    /// Anyone may sign up on the welcome page; off, accounts are made with the CLI only.
    pub open_sign_up: bool,
}

/// Every setting, for the README and `--help`.
pub const SETTINGS: &[(&str, &str, &str)] = &[
    ("PLUGBOARD_DATA_DIR", "./data", "Directory for the SQLite database and the generated secret key."),
    ("DATABASE_URL", "sqlite://<data dir>/plugboard.db", "sqlite://path or postgres://user@host/db. The SQLite file is created on first run."),
    ("PLUGBOARD_LISTEN_ADDR", "127.0.0.1:3000", "Address and port the server listens on (falls back to LEPTOS_SITE_ADDR)."),
    ("PLUGBOARD_BASE_URL", "http://localhost:<port>", "Public URL of this instance, used to build OAuth callback URLs. https makes cookies Secure."),
    ("PLUGBOARD_SECRET_KEY", "generated into <data dir>/secret.key", "32 bytes, base64 or hex, that encrypt tokens at rest. Keep it: losing it loses every connection."),
    ("PLUGBOARD_SESSION_DAYS", "30", "How long a sign-in lasts."),
    ("PLUGBOARD_TRUST_FORWARDED_FOR", "false", "Take the client address from X-Forwarded-For (only behind a proxy you run)."),
    ("PLUGBOARD_LOG", "info", "Log filter, in tracing's EnvFilter syntax (e.g. plugboard=debug,info)."),
    ("PLUGBOARD_LOG_FORMAT", "text", "text or json."),
    ("PLUGBOARD_DEBUG_DATA_DELAY_MS", "0", "Development aid: delay the connections page's data to see its loading skeleton."),
    ("PLUGBOARD_SANDBOX", "false", "Serve stand-ins for every platform without credentials (same as `serve --sandbox`). Refused unless the base URL is plain http on this machine."),
    ("PLUGBOARD_SANDBOX_ALLOW_PUBLIC", "false", "Start in sandbox mode even though the base URL is https or not on this machine (a shared demo). Never on an instance with real accounts."),
    ("PLUGBOARD_PROVIDER_TIMEOUT_MS", "10000", "The most one call to a platform may take."),
    ("PLUGBOARD_ALLOW_PRIVATE_URLS", "false", "Allow Listmonk, Mastodon and Bluesky servers and webhook endpoints on private or loopback addresses."),
    ("PLUGBOARD_WORKERS", "true", "Run the token refresh and webhook delivery workers in this process."),
    ("PLUGBOARD_REFRESH_INTERVAL_SECS", "30", "How often the refresh worker looks for tokens that are due."),
    ("PLUGBOARD_REFRESH_CONCURRENCY", "16", "How many refreshes one process runs at once."),
    ("PLUGBOARD_REFRESH_LEASE_SECS", "30", "How long a process holds an account it is refreshing; renewed while the call runs, so it lapses only when the process is gone."),
    ("PLUGBOARD_SHUTDOWN_GRACE_SECS", "30", "On SIGTERM or SIGINT, how long refreshes, health checks, deliveries and requests in flight may take to finish and store before the process exits."),
    ("PLUGBOARD_HEALTH_CHECK_TTL_SECS", "300", "An account checked this recently is not checked again when the page loads."),
    ("PLUGBOARD_HEALTH_CHECK_CONCURRENCY", "16", "How many health-check calls one process makes at once."),
    ("PLUGBOARD_METRICS_TOKEN", "(none)", "Bearer token for /metrics; without one, only loopback clients that did not come through a proxy may read it."),
    ("PLUGBOARD_OPEN_SIGN_UP", "true", "Let anyone create an account on the welcome page (throttled per client address). Off, accounts are made with `plugboard user create` only."),
];

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
        let data_dir =
            PathBuf::from(lookup("PLUGBOARD_DATA_DIR").unwrap_or_else(|| "./data".into()));

        let database_url = match lookup("DATABASE_URL") {
            Some(url) => parse_database_url(&url)?,
            None => default_sqlite_url(&data_dir),
        };

        let listen_addr = match lookup("PLUGBOARD_LISTEN_ADDR") {
            Some(addr) => parse_addr("PLUGBOARD_LISTEN_ADDR", &addr)?,
            None => match lookup("LEPTOS_SITE_ADDR") {
                Some(addr) => parse_addr("LEPTOS_SITE_ADDR", &addr)?,
                None => SocketAddr::from(([127, 0, 0, 1], 3000)),
            },
        };

        let base_url = match lookup("PLUGBOARD_BASE_URL") {
            Some(url) => parse_base_url(&url)?,
            None => default_base_url(listen_addr),
        };

        let secret_key_source = match lookup("PLUGBOARD_SECRET_KEY") {
            Some(key) => {
                SecretKey::parse(&key).map_err(|e| ConfigError::new("PLUGBOARD_SECRET_KEY", e))?;
                SecretKeySource::Inline(key)
            }
            None => SecretKeySource::File(data_dir.join("secret.key")),
        };

        let session_days = parse_number(
            "PLUGBOARD_SESSION_DAYS",
            lookup("PLUGBOARD_SESSION_DAYS"),
            30,
            1..=365,
        )?;
        let debug_delay_ms = parse_number(
            "PLUGBOARD_DEBUG_DATA_DELAY_MS",
            lookup("PLUGBOARD_DEBUG_DATA_DELAY_MS"),
            0,
            0..=60_000,
        )?;

        let log_format = match lookup("PLUGBOARD_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "PLUGBOARD_LOG_FORMAT",
                    format!("expected `text` or `json`, got `{other}`"),
                ))
            }
        };

        let sandbox = parse_bool("PLUGBOARD_SANDBOX", lookup("PLUGBOARD_SANDBOX"))?;
        let sandbox_allow_public = parse_bool(
            "PLUGBOARD_SANDBOX_ALLOW_PUBLIC",
            lookup("PLUGBOARD_SANDBOX_ALLOW_PUBLIC"),
        )?;
        if sandbox && !sandbox_allow_public && !is_local_development(&base_url) {
            return Err(ConfigError::new(
                "PLUGBOARD_SANDBOX",
                format!(
                    "sandbox mode answers every platform with stand-ins, and {base_url} looks like a real deployment (https, or not this machine). Run without --sandbox, or set PLUGBOARD_SANDBOX_ALLOW_PUBLIC=true for a shared demo."
                ),
            ));
        }
        let provider_timeout_ms = parse_number(
            "PLUGBOARD_PROVIDER_TIMEOUT_MS",
            lookup("PLUGBOARD_PROVIDER_TIMEOUT_MS"),
            10_000,
            100..=120_000,
        )?;
        let providers =
            crate::platforms::catalog::Providers::from_lookup(&lookup, &base_url, sandbox)?;
        let number = |name: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| {
            parse_number(name, lookup(name), default, range)
        };
        let refresh_interval = number("PLUGBOARD_REFRESH_INTERVAL_SECS", 30, 1..=86_400)?;
        let refresh_concurrency = number("PLUGBOARD_REFRESH_CONCURRENCY", 16, 1..=1024)?;
        let refresh_lease = number("PLUGBOARD_REFRESH_LEASE_SECS", 30, 1..=3600)?;
        let shutdown_grace = number("PLUGBOARD_SHUTDOWN_GRACE_SECS", 30, 0..=3600)?;
        let health_check_ttl = number("PLUGBOARD_HEALTH_CHECK_TTL_SECS", 300, 0..=86_400)?;
        let health_check_concurrency = number("PLUGBOARD_HEALTH_CHECK_CONCURRENCY", 16, 1..=1024)?;

        Ok(Config {
            data_dir,
            database_url,
            listen_addr,
            base_url,
            secret_key_source,
            session_ttl: Duration::from_secs(session_days * 24 * 60 * 60),
            trust_forwarded_for: parse_bool(
                "PLUGBOARD_TRUST_FORWARDED_FOR",
                lookup("PLUGBOARD_TRUST_FORWARDED_FOR"),
            )?,
            log_filter: lookup("PLUGBOARD_LOG").unwrap_or_else(|| "info".into()),
            log_format,
            debug_data_delay: Duration::from_millis(debug_delay_ms),
            sandbox,
            provider_timeout: Duration::from_millis(provider_timeout_ms),
            allow_private_urls: parse_bool(
                "PLUGBOARD_ALLOW_PRIVATE_URLS",
                lookup("PLUGBOARD_ALLOW_PRIVATE_URLS"),
            )?,
            providers,
            workers: parse_bool_default_true("PLUGBOARD_WORKERS", lookup("PLUGBOARD_WORKERS"))?,
            refresh_interval: Duration::from_secs(refresh_interval),
            refresh_concurrency: refresh_concurrency as usize,
            refresh_lease: Duration::from_secs(refresh_lease),
            shutdown_grace: Duration::from_secs(shutdown_grace),
            health_check_ttl: Duration::from_secs(health_check_ttl),
            health_check_concurrency: health_check_concurrency as usize,
            metrics_token: lookup("PLUGBOARD_METRICS_TOKEN"),
            open_sign_up: parse_bool_default_true(
                "PLUGBOARD_OPEN_SIGN_UP",
                lookup("PLUGBOARD_OPEN_SIGN_UP"),
            )?,
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
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
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

fn parse_bool_default_true(
    setting: &'static str,
    value: Option<String>,
) -> Result<bool, ConfigError> {
    match value {
        None => Ok(true),
        some => parse_bool(setting, some),
    }
}

fn parse_bool(setting: &'static str, value: Option<String>) -> Result<bool, ConfigError> {
    match value
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(other) => Err(ConfigError::new(
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
}
