//! Where things are kept: the database pool and migrations, and the sealing of secrets at rest.

pub mod crypto;
pub mod db;
