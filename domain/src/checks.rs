//! What Plugboard learns each time it calls a platform for an account (a refresh, a health
//! check), and how the scopes a platform granted compare with those Plugboard asked for.

crate::codes::code_enum! {
    /// What a failed call to a platform means: is the grant gone (a person must reconnect), is
    /// the platform having a bad moment (try again later), or is something set up wrong?
    pub enum FailureKind {
        /// The grant or token is revoked, expired or invalid: only reconnecting helps.
        Terminal,
        /// The platform refuses our client (invalid_client): the administrator must fix the setup.
        Misconfigured,
        RateLimited,
        /// 5xx from the platform.
        Unavailable,
        Timeout,
        /// Could not reach the platform at all.
        Network,
        /// A 4xx that names no known cause.
        Rejected,
        /// A success status with a body we cannot read.
        Unexpected,
    }
}

impl FailureKind {
    /// Worth retrying later, and never a reason to ask a person to reconnect.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            FailureKind::RateLimited
                | FailureKind::Unavailable
                | FailureKind::Timeout
                | FailureKind::Network
        )
    }

    /// What the class means, for a person reading an account's history.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Terminal => "Access revoked or expired",
            FailureKind::Misconfigured => "Plugboard's app is misconfigured",
            FailureKind::RateLimited => "Rate limited",
            FailureKind::Unavailable => "Platform unavailable",
            FailureKind::Timeout => "Timed out",
            FailureKind::Network => "Could not reach the platform",
            FailureKind::Rejected => "Request rejected",
            FailureKind::Unexpected => "Unexpected answer",
        }
    }
}

crate::codes::code_enum! {
    /// Why Plugboard called the platform.
    pub enum CheckKind {
        /// Exchanged the refresh token for new tokens.
        Refresh,
        /// Asked the platform who the token belongs to.
        HealthCheck,
    }
}

impl CheckKind {
    pub fn label(self) -> &'static str {
        match self {
            CheckKind::Refresh => "Token refresh",
            CheckKind::HealthCheck => "Health check",
        }
    }
}

crate::codes::code_enum! {
    /// What came of one call.
    pub enum CheckOutcome {
        /// It worked (new tokens stored, or the token proved to be this account's).
        Ok,
        /// It failed in a way that passes: tried again later, the status unchanged.
        Transient,
        /// It failed for good: the account needs reconnecting.
        Terminal,
        /// The platform answered, but the answer proved nothing either way.
        Unconfirmed,
    }
}

impl CheckOutcome {
    pub fn label(self) -> &'static str {
        match self {
            CheckOutcome::Ok => "Succeeded",
            CheckOutcome::Transient => "Failed, will retry",
            CheckOutcome::Terminal => "Failed, reconnect needed",
            CheckOutcome::Unconfirmed => "Not confirmed",
        }
    }
}

/// The scopes Plugboard asked a platform for, set beside those it says it granted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScopeReport {
    pub requested: Vec<String>,
    /// What the platform said it granted; `None` when its token answer does not say.
    pub granted: Option<Vec<String>>,
    /// Requested but not granted (empty when the platform does not say).
    pub missing: Vec<String>,
}

impl ScopeReport {
    /// Compares `requested` with the platform's `scope` answer, which platforms separate with
    /// spaces (RFC 6749 §3.3) or commas (Meta, TikTok, Pinterest, Slack).
    pub fn compare(requested: &[String], granted: Option<&str>) -> ScopeReport {
        let granted: Option<Vec<String>> = granted
            .map(|raw| {
                raw.split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|scope| !scope.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|scopes| !scopes.is_empty());
        let missing = match &granted {
            Some(granted) => requested
                .iter()
                .filter(|scope| !granted.contains(scope))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        ScopeReport {
            requested: requested.to_vec(),
            granted,
            missing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn missing_scopes_are_those_asked_for_and_not_granted() {
        let asked = scopes(&["tweet.read", "tweet.write", "offline.access"]);
        let report = ScopeReport::compare(&asked, Some("tweet.read offline.access users.read"));
        assert_eq!(report.missing, scopes(&["tweet.write"]));
        assert_eq!(
            report.granted,
            Some(scopes(&["tweet.read", "offline.access", "users.read"]))
        );
        let commas = ScopeReport::compare(&asked, Some("tweet.read,tweet.write, offline.access"));
        assert!(commas.missing.is_empty(), "{commas:?}");
    }

    #[test]
    fn a_platform_that_does_not_say_misses_nothing() {
        let asked = scopes(&["identity"]);
        for said in [None, Some(""), Some("  ,")] {
            let report = ScopeReport::compare(&asked, said);
            assert_eq!(report.granted, None, "{said:?}");
            assert!(report.missing.is_empty(), "{said:?}");
        }
    }

    #[test]
    fn failure_classes_keep_their_stored_names() {
        assert_eq!(FailureKind::RateLimited.as_str(), "rate_limited");
        assert_eq!(FailureKind::parse("terminal"), Some(FailureKind::Terminal));
        assert!(FailureKind::Timeout.is_transient() && !FailureKind::Rejected.is_transient());
    }
}
