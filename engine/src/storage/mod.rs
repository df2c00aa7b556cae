//! Where things are kept: the database pool and migrations, and the sealing of secrets at rest.
//! (How stored columns read back into Plugboard's types is `domain::columns`.)

pub mod crypto;
pub mod db;
