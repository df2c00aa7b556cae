//! Plugboard's server-side core. Nothing here is compiled into the browser bundle.

pub mod access_tokens;
pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod avatars;
pub mod config;
pub mod connect;
pub mod credentials;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod disconnect;
pub mod failure;
pub mod health;
pub mod http;
pub mod lifecycle;
pub mod net_guard;
pub mod oauth_state;
pub mod password;
pub mod plans;
pub mod posts;
pub mod provider_client;
pub mod providers;
pub mod refresh;
pub mod schedule;
pub mod sessions;
pub mod sign_in_throttle;
pub mod state;
pub mod users;
pub mod webhooks;

pub use config::Config;
pub use db::Db;
pub use state::AppState;
