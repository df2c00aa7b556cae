//! Plugboard's server-side core. Nothing here is compiled into the browser bundle.
//! `ARCHITECTURE.md` says what each folder holds and what it may depend on.

pub mod config;
pub mod connections;
pub mod events;
pub mod identity;
pub mod keep_alive;
pub mod lifecycle;
pub mod net;
pub mod platforms;
pub mod posts;
pub mod schedule;
pub mod state;
pub mod storage;

pub use config::Config;
pub use state::AppState;
pub use storage::db::Db;
