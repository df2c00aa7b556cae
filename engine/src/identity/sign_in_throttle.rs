//! Sign-in and sign-up rate limiting: failed sign-ins are counted per email and per client
//! address, and sign-ups per client address, over sliding windows, in the database so that
//! every server process sees the same counts.

use crate::storage::db::{new_id, to_millis, Db};
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

/// Counts a sign-in attempt before its password is checked, atomically: in one write
/// transaction (serialised per email and per client address on PostgreSQL), the failures are
/// counted and, if the attempt may go ahead, it is recorded as a failure until it succeeds
/// ([`clear`]). A burst of parallel guesses is therefore throttled as surely as a sequence.
pub async fn begin_attempt(
    db: &Db,
    email: &str,
    client_ip: &str,
    now: DateTime<Utc>,
) -> Result<Verdict, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    if db.backend() == crate::storage::db::Backend::Postgres {
        for key in [
            format!("sign-in email {email}"),
            format!("sign-in client {client_ip}"),
        ] {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
    }
    let since = to_millis(now - WINDOW);
    let by_email = failures(&mut tx, COUNT_BY_EMAIL, email, since).await?;
    let by_client = failures(&mut tx, COUNT_BY_CLIENT, client_ip, since).await?;
    let verdict = verdict(by_email, by_client, now);
    if verdict == Verdict::Allowed {
        sqlx::query(
            "INSERT INTO sign_in_failures (id, email, client_ip, failed_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(email)
        .bind(client_ip)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(verdict)
}

const COUNT_BY_EMAIL: &str = "SELECT COUNT(*) AS n, MIN(failed_at) AS oldest FROM sign_in_failures WHERE email = $1 AND failed_at > $2";
const COUNT_BY_CLIENT: &str = "SELECT COUNT(*) AS n, MIN(failed_at) AS oldest FROM sign_in_failures WHERE client_ip = $1 AND failed_at > $2";

async fn failures(
    conn: &mut sqlx::AnyConnection,
    sql: &'static str,
    value: &str,
    since: i64,
) -> Result<Failures, sqlx::Error> {
    let row = sqlx::query(sql)
        .bind(value)
        .bind(since)
        .fetch_one(conn)
        .await?;
    let count: i64 = row.try_get("n")?;
    let oldest: Option<i64> = row.try_get("oldest")?;
    Ok(Failures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        oldest: oldest.map(crate::storage::db::from_millis),
    })
}

/// How many sign-ups one client address may attempt per [`SIGN_UP_WINDOW`].
pub const MAX_SIGN_UPS_PER_CLIENT: u32 = 10;
pub const SIGN_UP_WINDOW: Duration = Duration::hours(1);

/// Records a sign-up attempt from a client address, unless that address already made too many:
/// counted and recorded in one write transaction, like sign-ins.
pub async fn begin_sign_up(
    db: &Db,
    client_ip: &str,
    now: DateTime<Utc>,
) -> Result<Verdict, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    if db.backend() == crate::storage::db::Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("sign-up client {client_ip}"))
            .execute(&mut *tx)
            .await?;
    }
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM sign_up_attempts
         WHERE client_ip = $1 AND attempted_at > $2",
    )
    .bind(client_ip)
    .bind(to_millis(now - SIGN_UP_WINDOW))
    .fetch_one(&mut *tx)
    .await?;
    let count = u32::try_from(row.try_get::<i64, _>("n")?).unwrap_or(u32::MAX);
    let oldest: Option<i64> = row.try_get("oldest")?;
    if count >= MAX_SIGN_UPS_PER_CLIENT {
        let frees_at = oldest.map_or(now, crate::storage::db::from_millis) + SIGN_UP_WINDOW;
        return Ok(Verdict::Throttled {
            retry_after: (frees_at - now).max(Duration::seconds(1)),
        });
    }
    sqlx::query("INSERT INTO sign_up_attempts (id, client_ip, attempted_at) VALUES ($1, $2, $3)")
        .bind(new_id())
        .bind(client_ip)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Verdict::Allowed)
}

/// A successful sign-in forgives that email's failures.
pub async fn clear(db: &Db, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email = $1")
        .bind(email)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Forgets sign-in failures and sign-up attempts older than their windows (housekeeping).
pub async fn delete_old(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let failures = sqlx::query("DELETE FROM sign_in_failures WHERE failed_at <= $1")
        .bind(to_millis(now - WINDOW))
        .execute(db.pool())
        .await?;
    let sign_ups = sqlx::query("DELETE FROM sign_up_attempts WHERE attempted_at <= $1")
        .bind(to_millis(now - SIGN_UP_WINDOW))
        .execute(db.pool())
        .await?;
    Ok(failures.rows_affected() + sign_ups.rows_affected())
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
