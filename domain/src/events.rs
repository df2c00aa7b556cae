//! What happened, by name: the actions the audit trail records and the events webhooks deliver.
//! Each name has one spelling, which is also what is stored and sent.

crate::codes::code_enum! {
    /// An entry of the audit trail.
    pub enum AuditAction {
        #[strum(serialize = "account.connected")]
        AccountConnected,
        #[strum(serialize = "account.reconnected")]
        AccountReconnected,
        #[strum(serialize = "account.refresh_failed")]
        AccountRefreshFailed,
        #[strum(serialize = "account.disconnected")]
        AccountDisconnected,
        #[strum(serialize = "api_key.created")]
        ApiKeyCreated,
        #[strum(serialize = "api_key.revoked")]
        ApiKeyRevoked,
        #[strum(serialize = "webhook.added")]
        WebhookAdded,
        #[strum(serialize = "webhook.removed")]
        WebhookRemoved,
        #[strum(serialize = "workspace.created")]
        WorkspaceCreated,
        #[strum(serialize = "workspace.renamed")]
        WorkspaceRenamed,
        #[strum(serialize = "member.added")]
        MemberAdded,
        #[strum(serialize = "member.role_changed")]
        MemberRoleChanged,
        #[strum(serialize = "member.removed")]
        MemberRemoved,
        #[strum(serialize = "invitation.created")]
        InvitationCreated,
        #[strum(serialize = "invitation.accepted")]
        InvitationAccepted,
        #[strum(serialize = "invitation.revoked")]
        InvitationRevoked,
        #[strum(serialize = "connect_link.created")]
        ConnectLinkCreated,
        #[strum(serialize = "connect_link.revoked")]
        ConnectLinkRevoked,
    }
}

impl AuditAction {
    /// What the action is called on the page.
    pub fn describe(self) -> &'static str {
        match self {
            AuditAction::AccountConnected => "Connected",
            AuditAction::AccountReconnected => "Reconnected",
            AuditAction::AccountRefreshFailed => "Token refresh failed: reconnect needed",
            AuditAction::AccountDisconnected => "Disconnected",
            AuditAction::ApiKeyCreated => "API key created",
            AuditAction::ApiKeyRevoked => "API key revoked",
            AuditAction::WebhookAdded => "Webhook endpoint added",
            AuditAction::WebhookRemoved => "Webhook endpoint removed",
            AuditAction::WorkspaceCreated => "Workspace created",
            AuditAction::WorkspaceRenamed => "Workspace renamed",
            AuditAction::MemberAdded => "Person added",
            AuditAction::MemberRoleChanged => "Role changed",
            AuditAction::MemberRemoved => "Person removed",
            AuditAction::InvitationCreated => "Invitation sent",
            AuditAction::InvitationAccepted => "Invitation accepted",
            AuditAction::InvitationRevoked => "Invitation revoked",
            AuditAction::ConnectLinkCreated => "Connect link made",
            AuditAction::ConnectLinkRevoked => "Connect link revoked",
        }
    }
}

crate::codes::code_enum! {
    /// The `type` of an event delivered to webhook endpoints.
    pub enum WebhookEvent {
        #[strum(serialize = "account.connected")]
        AccountConnected,
        #[strum(serialize = "account.reconnected")]
        AccountReconnected,
        #[strum(serialize = "account.disconnected")]
        AccountDisconnected,
        #[strum(serialize = "account.refresh_failed")]
        AccountRefreshFailed,
        #[strum(serialize = "webhook.test")]
        WebhookTest,
    }
}

crate::codes::code_enum! {
    /// Where a webhook delivery stands, as stored.
    pub enum DeliveryStatus {
        /// Not yet sent, or sent and to be tried again.
        Pending,
        Delivered,
        /// Out of attempts.
        Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_as_themselves() {
        for action in AuditAction::all() {
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
        }
        for event in WebhookEvent::all() {
            assert_eq!(WebhookEvent::parse(event.as_str()), Some(*event));
        }
        assert_eq!(AuditAction::ApiKeyRevoked.as_str(), "api_key.revoked");
        assert_eq!(WebhookEvent::WebhookTest.as_str(), "webhook.test");
    }

    #[test]
    fn every_action_has_its_own_words() {
        let words: std::collections::HashSet<_> =
            AuditAction::all().iter().map(|a| a.describe()).collect();
        assert_eq!(words.len(), AuditAction::all().len());
    }
}
