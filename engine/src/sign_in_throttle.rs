//! Sign-in rate limiting: failed attempts are counted per email and per client address over a
//! sliding window, in the database so that every server process sees the same counts.

use crate::db::{new_id, to_millis, Db};
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

pub const WINDOW: Duration = Duration::minutes(15);
pub const MAX_FAILURES_PER_EMAIL: u32 = 5;
/// Higher, so that people behind one NAT do not lock each other out.
pub const MAX_FAILURES_PER_CLIENT: u32 = 30;

/// Failures seen within the window, with the oldest one's time (when the window frees up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub oldest: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Throttled { retry_after: Duration },
}

pub fn verdict(by_email: Failures, by_client: Failures, now: DateTime<Utc>) -> Verdict {
    let wait_for = |failures: Failures, max: u32| {
        (failures.count >= max).then(|| {
            let frees_at = failures.oldest.unwrap_or(now) + WINDOW;
            (frees_at - now).max(Duration::seconds(1))
        })
    };
    match (
        wait_for(by_email, MAX_FAILURES_PER_EMAIL),
        wait_for(by_client, MAX_FAILURES_PER_CLIENT),
    ) {
        (None, None) => Verdict::Allowed,
        (a, b) => Verdict::Throttled {
            retry_after: a.into_iter().chain(b).max().expect("one is set"),
        },
    }
}

pub async fn check(
    db: &Db,
    email: &str,
    client_ip: &str,
    now: DateTime<Utc>,
) -> Result<Verdict, sqlx::Error> {
    let since = to_millis(now - WINDOW);
    let by_email = failures(db, COUNT_BY_EMAIL, email, since).await?;
    let by_client = failures(db, COUNT_BY_CLIENT, client_ip, since).await?;
    Ok(verdict(by_email, by_client, now))
}

const COUNT_BY_EMAIL: &str = "SELECT COUNT(*) AS n, MIN(failed_at) AS oldest FROM sign_in_failures WHERE email = $1 AND failed_at > $2";
const COUNT_BY_CLIENT: &str = "SELECT COUNT(*) AS n, MIN(failed_at) AS oldest FROM sign_in_failures WHERE client_ip = $1 AND failed_at > $2";

async fn failures(
    db: &Db,
    sql: &'static str,
    value: &str,
    since: i64,
) -> Result<Failures, sqlx::Error> {
    let row = sqlx::query(sql)
        .bind(value)
        .bind(since)
        .fetch_one(db.pool())
        .await?;
    let count: i64 = row.try_get("n")?;
    let oldest: Option<i64> = row.try_get("oldest")?;
    Ok(Failures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        oldest: oldest.map(crate::db::from_millis),
    })
}

pub async fn record_failure(
    db: &Db,
    email: &str,
    client_ip: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sign_in_failures (id, email, client_ip, failed_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(new_id())
    .bind(email)
    .bind(client_ip)
    .bind(to_millis(now))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A successful sign-in forgives that email's failures.
pub async fn clear(db: &Db, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email = $1")
        .bind(email)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete_older_than(db: &Db, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sign_in_failures WHERE failed_at <= $1")
        .bind(to_millis(cutoff))
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn failures(count: u32, minutes_ago: i64) -> Failures {
        Failures {
            count,
            oldest: (count > 0).then(|| now() - Duration::minutes(minutes_ago)),
        }
    }

    #[test]
    fn few_failures_are_allowed() {
        assert_eq!(
            verdict(failures(4, 10), failures(29, 10), now()),
            Verdict::Allowed
        );
    }

    #[test]
    fn too_many_for_one_email_waits_until_the_oldest_leaves_the_window() {
        assert_eq!(
            verdict(failures(5, 10), failures(5, 10), now()),
            Verdict::Throttled {
                retry_after: Duration::minutes(5)
            }
        );
    }

    #[test]
    fn too_many_from_one_client_throttles_every_email() {
        assert_eq!(
            verdict(failures(0, 0), failures(30, 1), now()),
            Verdict::Throttled {
                retry_after: Duration::minutes(14)
            }
        );
    }

    #[test]
    fn the_longer_wait_wins_when_both_trip() {
        assert_eq!(
            verdict(failures(5, 14), failures(30, 2), now()),
            Verdict::Throttled {
                retry_after: Duration::minutes(13)
            }
        );
    }

    #[test]
    fn the_wait_is_never_zero() {
        assert_eq!(
            verdict(failures(5, 15), failures(0, 0), now()),
            Verdict::Throttled {
                retry_after: Duration::seconds(1)
            }
        );
    }
}
