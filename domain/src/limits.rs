//! Plan limits: how many accounts a plan allows, in total and per platform.

use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A plan's caps. `None` means unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLimits {
    pub total: Option<u32>,
    pub per_platform: BTreeMap<Platform, u32>,
}

/// How many connected accounts an owner has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub total: u32,
    pub per_platform: BTreeMap<Platform, u32>,
}

impl Usage {
    pub fn from_platforms(platforms: impl IntoIterator<Item = Platform>) -> Usage {
        let mut usage = Usage::default();
        for platform in platforms {
            usage.total += 1;
            *usage.per_platform.entry(platform).or_default() += 1;
        }
        usage
    }

    pub fn on(&self, platform: Platform) -> u32 {
        self.per_platform.get(&platform).copied().unwrap_or(0)
    }
}

/// Whether a connect would create a new account row or update an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectKind {
    New,
    /// Reconnecting an account the owner already has never counts against the plan.
    Reconnect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum LimitDecision {
    Allowed,
    TotalLimitReached {
        current: u32,
        limit: u32,
    },
    PlatformLimitReached {
        platform: Platform,
        current: u32,
        limit: u32,
    },
}

impl LimitDecision {
    pub fn is_allowed(self) -> bool {
        self == LimitDecision::Allowed
    }

    /// Why a connect is refused, in words for the person; `None` when it is allowed.
    pub fn explain(self, plan_name: &str) -> Option<String> {
        match self {
            LimitDecision::Allowed => None,
            LimitDecision::TotalLimitReached { current, limit } => Some(format!(
                "Your {plan_name} plan allows {limit} {} and you have {current}. Upgrade to connect more.",
                accounts(limit)
            )),
            LimitDecision::PlatformLimitReached {
                platform, limit, ..
            } => Some(format!(
                "Your {plan_name} plan allows {limit} {platform} {}. Upgrade to connect more.",
                accounts(limit)
            )),
        }
    }
}

fn accounts(n: u32) -> &'static str {
    if n == 1 {
        "account"
    } else {
        "accounts"
    }
}

pub fn check_connect(
    limits: &PlanLimits,
    usage: &Usage,
    platform: Platform,
    kind: ConnectKind,
) -> LimitDecision {
    if kind == ConnectKind::Reconnect {
        return LimitDecision::Allowed;
    }
    if let Some(limit) = limits.total {
        if usage.total >= limit {
            return LimitDecision::TotalLimitReached {
                current: usage.total,
                limit,
            };
        }
    }
    if let Some(&limit) = limits.per_platform.get(&platform) {
        let current = usage.on(platform);
        if current >= limit {
            return LimitDecision::PlatformLimitReached {
                platform,
                current,
                limit,
            };
        }
    }
    LimitDecision::Allowed
}

/// Whether the list shows the "at limit" notice.
pub fn at_total_limit(limits: &PlanLimits, usage: &Usage) -> bool {
    limits.total.is_some_and(|limit| usage.total >= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: Option<u32>, per_platform: &[(Platform, u32)]) -> PlanLimits {
        PlanLimits {
            total,
            per_platform: per_platform.iter().copied().collect(),
        }
    }

    fn usage(platforms: &[Platform]) -> Usage {
        Usage::from_platforms(platforms.iter().copied())
    }

    #[test]
    fn under_every_limit_is_allowed() {
        let decision = check_connect(
            &limits(Some(3), &[(Platform::LinkedIn, 1)]),
            &usage(&[Platform::X]),
            Platform::LinkedIn,
            ConnectKind::New,
        );
        assert_eq!(decision, LimitDecision::Allowed);
    }

    #[test]
    fn reaching_the_total_refuses_a_new_account() {
        let decision = check_connect(
            &limits(Some(2), &[]),
            &usage(&[Platform::X, Platform::Reddit]),
            Platform::Slack,
            ConnectKind::New,
        );
        assert_eq!(
            decision,
            LimitDecision::TotalLimitReached {
                current: 2,
                limit: 2
            }
        );
    }

    #[test]
    fn above_the_total_after_a_downgrade_is_still_refused() {
        let decision = check_connect(
            &limits(Some(1), &[]),
            &usage(&[Platform::X, Platform::Reddit, Platform::Slack]),
            Platform::Slack,
            ConnectKind::New,
        );
        assert_eq!(
            decision,
            LimitDecision::TotalLimitReached {
                current: 3,
                limit: 1
            }
        );
    }

    #[test]
    fn reaching_a_platform_limit_refuses_only_that_platform() {
        let plan = limits(Some(10), &[(Platform::LinkedIn, 1)]);
        let used = usage(&[Platform::LinkedIn]);
        assert_eq!(
            check_connect(&plan, &used, Platform::LinkedIn, ConnectKind::New),
            LimitDecision::PlatformLimitReached {
                platform: Platform::LinkedIn,
                current: 1,
                limit: 1
            }
        );
        assert!(check_connect(&plan, &used, Platform::X, ConnectKind::New).is_allowed());
    }

    #[test]
    fn the_total_is_reported_before_a_platform_limit() {
        let decision = check_connect(
            &limits(Some(1), &[(Platform::LinkedIn, 1)]),
            &usage(&[Platform::LinkedIn]),
            Platform::LinkedIn,
            ConnectKind::New,
        );
        assert!(matches!(decision, LimitDecision::TotalLimitReached { .. }));
    }

    #[test]
    fn unlimited_plans_allow_anything() {
        let many: Vec<_> = std::iter::repeat_n(Platform::X, 500).collect();
        assert!(check_connect(
            &limits(None, &[]),
            &usage(&many),
            Platform::X,
            ConnectKind::New
        )
        .is_allowed());
    }

    #[test]
    fn a_reconnect_is_allowed_at_the_limit() {
        let decision = check_connect(
            &limits(Some(1), &[(Platform::X, 1)]),
            &usage(&[Platform::X]),
            Platform::X,
            ConnectKind::Reconnect,
        );
        assert_eq!(decision, LimitDecision::Allowed);
    }

    #[test]
    fn at_total_limit_shows_the_notice_at_and_above_the_limit() {
        let plan = limits(Some(2), &[]);
        assert!(!at_total_limit(&plan, &usage(&[Platform::X])));
        assert!(at_total_limit(&plan, &usage(&[Platform::X, Platform::X])));
        assert!(at_total_limit(
            &plan,
            &usage(&[Platform::X, Platform::X, Platform::Reddit])
        ));
        assert!(!at_total_limit(
            &limits(None, &[]),
            &usage(&[Platform::X; 40])
        ));
    }

    #[test]
    fn refusals_explain_themselves() {
        assert_eq!(LimitDecision::Allowed.explain("Free"), None);
        assert_eq!(
            LimitDecision::TotalLimitReached {
                current: 3,
                limit: 3
            }
            .explain("Free")
            .unwrap(),
            "Your Free plan allows 3 accounts and you have 3. Upgrade to connect more."
        );
        assert_eq!(
            LimitDecision::PlatformLimitReached {
                platform: Platform::LinkedIn,
                current: 1,
                limit: 1
            }
            .explain("Free")
            .unwrap(),
            "Your Free plan allows 1 LinkedIn account. Upgrade to connect more."
        );
    }

    #[test]
    fn usage_counts_per_platform() {
        let used = usage(&[Platform::X, Platform::Reddit, Platform::X]);
        assert_eq!(used.total, 3);
        assert_eq!(used.on(Platform::X), 2);
        assert_eq!(used.on(Platform::Reddit), 1);
        assert_eq!(used.on(Platform::Slack), 0);
    }
}
