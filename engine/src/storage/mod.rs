//! Where things are kept: the database pool and migrations, how shared column types read back
//! (`columns.rs`), and the sealing of secrets at rest.

pub mod columns;
pub mod crypto;
pub mod db;
