//! Everything a request handler needs, built once at start-up.

use crate::config::{Config, ConfigError};
use crate::platforms::client::ProviderClient;
use crate::storage::crypto::SecretBox;
use crate::storage::db::Db;
use domain::Platform;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub secrets: SecretBox,
    /// For calls to platforms: bounded by `PLUGBOARD_PROVIDER_TIMEOUT_MS`, no redirects.
    pub http: reqwest::Client,
    pub health: Arc<crate::keep_alive::health_checks::HealthChecks>,
    /// Background work a shutdown lets finish, and whether the process still takes new work.
    pub lifecycle: Arc<crate::lifecycle::Lifecycle>,
    /// The open pages waiting to hear that their workspace's accounts changed.
    pub changes: Arc<crate::events::changes::Changes>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("DATABASE_URL: cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("DATABASE_URL: migrating the database failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl AppState {
    /// The client for a platform as this instance is set up for it, with Plugboard's callback URL.
    pub fn provider_client(&self, platform: Platform) -> ProviderClient {
        ProviderClient::new(
            self.config.providers.get(platform),
            self.http.clone(),
            self.config.providers.callback_url(platform),
        )
    }

    /// Opens the database, applies pending migrations and loads (or creates) the secret key.
    pub async fn open(config: Config) -> Result<AppState, StartupError> {
        config.prepare_data_dir()?;
        let secrets = SecretBox::new(&config.load_secret_key()?);
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        Ok(AppState {
            http: crate::net::http::client(config.provider_timeout),
            health: Arc::new(crate::keep_alive::health_checks::HealthChecks::new(
                config.health_check_concurrency,
            )),
            lifecycle: Arc::new(crate::lifecycle::Lifecycle::new()),
            changes: Arc::default(),
            config: Arc::new(config),
            db,
            secrets,
        })
    }
}
