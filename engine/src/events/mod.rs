//! What happened: the audit trail people read, and the webhooks that tell other systems.

pub mod audit;
pub mod webhooks;
