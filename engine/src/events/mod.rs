//! What happened: the audit trail people read, the webhooks that tell other systems, and the
//! news of a change that open pages wait for.

pub mod audit;
pub mod changes;
pub mod webhooks;
