//! One account's story: its detail page with who connected it, the scopes it was granted, its
//! token's lifetime and the history of refreshes and health checks (with each failure's class
//! and the platform's code), the "Check now" button and its rate limit, and the history's
//! pruning.

mod common;

use axum::http::StatusCode;
use common::{assert_connected, Backend, Consent, TestApp};
use domain::Platform;
use engine::keep_alive::refresh::{self, Outcome};
use sandbox::{Endpoint, Failure};

mod scenarios {
    use super::*;

    /// A new person with a Reddit account connected through the stand-ins, its first health
    /// check done: (app, platforms, cookie, account id).
    async fn reddit_connected(backend: Backend) -> (TestApp, common::Platforms, String, String) {
        let (app, platforms) = TestApp::with_platforms(backend).await;
        let cookie = app.sign_up("ada@example.com").await;
        let connected = app
            .connect(
                &cookie,
                &app.connect_start(Platform::Reddit),
                Consent::default(),
            )
            .await;
        assert_connected(&connected, Platform::Reddit);
        let id = app.first_account_id(&cookie).await;
        app.settle(&cookie).await;
        (app, platforms, cookie, id)
    }

    /// Rows of the page's history table, newest first: (kind, outcome, failure class).
    fn history_rows(page: &str) -> Vec<(String, String, String)> {
        let attribute = |row: &str, name: &str| {
            row.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default()
                .to_owned()
        };
        page.split("<tr data-outcome=")
            .skip(1)
            .map(|row| {
                let row = format!("data-outcome={row}");
                let row = row.split("</tr>").next().unwrap_or_default();
                (
                    attribute(row, "data-kind"),
                    attribute(row, "data-outcome"),
                    attribute(row, "data-class"),
                )
            })
            .collect()
    }

    pub async fn the_page_tells_each_refresh_and_check_with_its_failure(backend: Backend) {
        let (app, platforms, cookie, id) = reddit_connected(backend).await;
        let page_path = format!("/dashboard/connections/{id}");

        // Refreshed once, then refused for good (Reddit's `invalid_grant`).
        app.make_due(&id).await;
        let outcome = refresh::refresh_account(&app.state, &id, false)
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Refreshed { .. }), "{outcome:?}");
        platforms
            .sandbox
            .fail(Platform::Reddit, Endpoint::Refresh, Failure::Outage);
        app.make_due(&id).await;
        let outcome = refresh::refresh_account(&app.state, &id, false)
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Transient(_)), "{outcome:?}");
        platforms
            .sandbox
            .fail(Platform::Reddit, Endpoint::Refresh, Failure::InvalidGrant);
        app.make_due(&id).await;
        let outcome = refresh::refresh_account(&app.state, &id, false)
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Terminal(_)), "{outcome:?}");

        let page = app.get(&page_path, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("ada@example.com"), "who connected it");
        assert!(page.body.contains("Reconnect needed"), "its status");
        let rows = history_rows(&page.body);
        let refreshes: Vec<_> = rows
            .iter()
            .filter(|(kind, _, _)| kind == "refresh")
            .collect();
        assert_eq!(
            refreshes
                .iter()
                .map(|(_, outcome, class)| (outcome.as_str(), class.as_str()))
                .collect::<Vec<_>>(),
            [
                ("terminal", "terminal"),
                ("transient", "unavailable"),
                ("ok", "")
            ],
            "{rows:?}"
        );
        assert!(
            page.body.contains("invalid_grant"),
            "the platform's own code"
        );
        assert!(page.body.contains("HTTP 502"), "the outage's status");
        assert!(
            page.body.contains("Access revoked or expired"),
            "the class in words"
        );
        // The scopes Plugboard asked Reddit for, and what its token answer granted.
        for scope in ["identity", "submit", "read"] {
            assert!(page.body.contains(scope), "{scope}");
        }
        assert!(
            !page.body.contains("notice-warning"),
            "every scope was granted"
        );

        // The card on the list links to the page.
        let list = app.get("/dashboard/connections", Some(&cookie)).await;
        assert!(list.body.contains(&format!("href=\"{page_path}\"")));
    }

    pub async fn check_now_runs_once_a_minute(backend: Backend) {
        let (app, _platforms, cookie, id) = reddit_connected(backend).await;
        // Long enough ago that the button may run.
        sqlx::query("UPDATE connected_accounts SET last_checked_at = 0 WHERE id = $1")
            .bind(&id)
            .execute(app.state.db.pool())
            .await
            .unwrap();
        let page_path = format!("/dashboard/connections/{id}");
        let before = history_rows(&app.get(&page_path, Some(&cookie)).await.body).len();
        let checked = app
            .submit(
                &page_path,
                "check_account_now",
                &[("account", &id)],
                Some(&cookie),
            )
            .await;
        assert_eq!(checked.status, StatusCode::SEE_OTHER, "{}", checked.body);
        assert_eq!(checked.location(), page_path);
        let rows = history_rows(&app.get(&page_path, Some(&cookie)).await.body);
        assert_eq!(rows.len(), before + 1, "{rows:?}");
        assert_eq!(rows[0], ("health_check".into(), "ok".into(), String::new()));

        // Again at once: refused, with how long to wait, and nothing called.
        let again = app
            .call_with("check_account_now", &format!("account={id}"), Some(&cookie))
            .await;
        assert_eq!(
            again.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            again.body
        );
        assert!(again.body.contains("too_soon"), "{}", again.body);
        let rows_after = history_rows(&app.get(&page_path, Some(&cookie)).await.body);
        assert_eq!(rows_after.len(), rows.len());

        // Someone else's account, or none, is not found.
        let other = app.sign_up("grace@example.com").await;
        let hidden = app
            .call_with("check_account_now", &format!("account={id}"), Some(&other))
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        let page = app.get(&page_path, Some(&other)).await;
        assert!(page.body.contains("not connected to this workspace"));
        assert!(!page.body.contains("ada@example.com"));
    }

    pub async fn missing_scopes_are_named(backend: Backend) {
        let (app, _platforms, cookie, id) = reddit_connected(backend).await;
        // As when a person unticks a permission on the consent screen: the token answer's
        // `scope` names only what was granted.
        sqlx::query("UPDATE connected_accounts SET granted_scopes = 'identity read' WHERE id = $1")
            .bind(&id)
            .execute(app.state.db.pool())
            .await
            .unwrap();
        let page = app
            .get(&format!("/dashboard/connections/{id}"), Some(&cookie))
            .await;
        let warning = page
            .body
            .split("notice-warning")
            .nth(1)
            .expect("a warning")
            .split("</div>")
            .next()
            .unwrap();
        assert!(warning.contains("submit"), "{warning}");
        assert!(!warning.contains("identity"), "{warning}");
    }

    pub async fn old_history_is_pruned(backend: Backend) {
        let (app, _platforms, _cookie, id) = reddit_connected(backend).await;
        app.make_due(&id).await;
        refresh::refresh_account(&app.state, &id, false)
            .await
            .unwrap();
        let count = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM account_checks WHERE account_id = $1",
            )
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap()
        };
        let kept = count().await;
        assert!(kept >= 1);
        let history = engine::keep_alive::history::prune;
        let now = chrono::Utc::now();
        assert_eq!(history(&app.state.db, 30, now).await.unwrap(), 0);
        assert_eq!(count().await, kept);
        let later = now + chrono::Duration::days(31);
        assert_eq!(
            history(&app.state.db, 30, later).await.unwrap() as i64,
            kept
        );
        assert_eq!(count().await, 0);
    }
}

scenarios_on_both_databases!(
    the_page_tells_each_refresh_and_check_with_its_failure,
    check_now_runs_once_a_minute,
    missing_scopes_are_named,
    old_history_is_pruned,
);
