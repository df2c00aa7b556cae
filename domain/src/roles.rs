//! Who may do what in a workspace: four roles, and one rule that says which of them may use each
//! permission. The server checks it on every route, form, server function and API call; the
//! pages read the same rule to show only the buttons a role may use.

use crate::codes::code_enum;

code_enum! {
    /// A person's role in one workspace, from the most trusted down.
    pub enum Role {
        /// Everything, including the workspace itself and who holds which role.
        Owner,
        /// Connects and disconnects any account, invites people, manages keys and webhooks.
        Admin,
        /// Connects and reconnects accounts, disconnects their own, schedules through their keys.
        Member,
        /// Sees the connections, their statuses and the audit trail; changes nothing.
        Viewer,
    }
}

/// Something a person may or may not do in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::VariantArray)]
pub enum Permission {
    /// See the connections page, the statuses, the plan and the audit trail.
    View,
    /// Connect a new account or reconnect one.
    Connect,
    /// Disconnect an account this person connected.
    DisconnectOwn,
    /// Disconnect any account of the workspace.
    DisconnectAny,
    /// Create API keys (acting as this person), see and revoke their own.
    UseApiKeys,
    /// See and revoke anyone's API keys.
    ManageApiKeys,
    /// Add, test and remove webhook endpoints and see their deliveries.
    ManageWebhooks,
    /// Invite people, change roles below their own, remove people.
    ManagePeople,
    /// Make and revoke connect links, through which someone without an account connects theirs.
    ShareConnectLinks,
    /// Rename or delete the workspace, change its plan, grant or take the owner role.
    ManageWorkspace,
    /// Through an API key: read an account's access token to post with it.
    UseAccessTokens,
    /// Through an API key: schedule and cancel posts.
    SchedulePosts,
}

impl Role {
    /// How much a role is trusted: a person can never grant more than their own.
    fn rank(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::Member => 1,
            Role::Viewer => 0,
        }
    }

    /// The least trusted role that may use `permission`.
    fn least_for(permission: Permission) -> Role {
        match permission {
            Permission::View => Role::Viewer,
            Permission::Connect
            | Permission::DisconnectOwn
            | Permission::UseApiKeys
            | Permission::UseAccessTokens
            | Permission::SchedulePosts => Role::Member,
            Permission::DisconnectAny
            | Permission::ManageApiKeys
            | Permission::ManageWebhooks
            | Permission::ManagePeople
            | Permission::ShareConnectLinks => Role::Admin,
            Permission::ManageWorkspace => Role::Owner,
        }
    }

    pub fn may(self, permission: Permission) -> bool {
        self.rank() >= Role::least_for(permission).rank()
    }

    /// Whether someone with this role may give `other` to a person (or take it away).
    pub fn may_grant(self, other: Role) -> bool {
        self.may(Permission::ManagePeople) && self.rank() >= other.rank()
    }

    /// The roles someone with this role may give, most trusted first.
    pub fn grantable(self) -> Vec<Role> {
        Role::all()
            .iter()
            .copied()
            .filter(|role| self.may_grant(*role))
            .collect()
    }

    /// The role an API key acts with: its maker's, capped at member.
    pub fn for_api_key(self) -> Role {
        if self.rank() > Role::Member.rank() {
            Role::Member
        } else {
            self
        }
    }

    /// The role's name as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
            Role::Viewer => "Viewer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn each_role_may_exactly_what_the_roles_table_says() {
        use Permission::*;
        // The README's roles table, cell by cell.
        let table: &[(Permission, [bool; 4])] = &[
            //                 owner  admin  member viewer
            (View, [true, true, true, true]),
            (Connect, [true, true, true, false]),
            (DisconnectOwn, [true, true, true, false]),
            (DisconnectAny, [true, true, false, false]),
            (UseApiKeys, [true, true, true, false]),
            (ManageApiKeys, [true, true, false, false]),
            (ManageWebhooks, [true, true, false, false]),
            (ManagePeople, [true, true, false, false]),
            (ShareConnectLinks, [true, true, false, false]),
            (ManageWorkspace, [true, false, false, false]),
            (UseAccessTokens, [true, true, true, false]),
            (SchedulePosts, [true, true, true, false]),
        ];
        assert_eq!(
            table.len(),
            Permission::VARIANTS.len(),
            "every permission is in the table"
        );
        for (permission, expected) in table {
            for (role, allowed) in Role::all().iter().zip(expected) {
                assert_eq!(role.may(*permission), *allowed, "{role} {permission:?}");
            }
        }
    }

    #[test]
    fn nobody_grants_a_role_above_their_own() {
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(Role::Admin.may_grant(Role::Admin));
        assert!(Role::Admin.may_grant(Role::Viewer));
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(!Role::Member.may_grant(Role::Viewer));
        assert!(!Role::Viewer.may_grant(Role::Viewer));
        assert_eq!(
            Role::Admin.grantable(),
            [Role::Admin, Role::Member, Role::Viewer]
        );
        assert!(Role::Member.grantable().is_empty());
    }

    #[test]
    fn an_api_key_acts_at_most_as_a_member() {
        assert_eq!(Role::Owner.for_api_key(), Role::Member);
        assert_eq!(Role::Admin.for_api_key(), Role::Member);
        assert_eq!(Role::Member.for_api_key(), Role::Member);
        assert_eq!(Role::Viewer.for_api_key(), Role::Viewer);
    }
}
