//! People who sign in: sign-up (with a personal workspace) and sign-in (throttled).

use crate::identity::password::{self, WeakPassword};
use crate::identity::sign_in_throttle::{self, Verdict};
use crate::identity::workspaces;
use crate::storage::db::{is_unique_violation, new_id, to_millis, Db};
use chrono::{DateTime, Duration, Utc};
use domain::columns::Millis;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter an email address like name@example.com.")]
pub struct InvalidEmail;

/// Trims and lower-cases an address, refusing anything that cannot be one.
pub fn normalize_email(input: &str) -> Result<String, InvalidEmail> {
    let email = input.trim().to_lowercase();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidEmail);
    }
    let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(InvalidEmail);
    }
    Ok(email)
}

#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    #[error(transparent)]
    InvalidEmail(#[from] InvalidEmail),
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    #[error("An account with this email already exists. Sign in instead.")]
    EmailTaken,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Signs a person up, with a personal workspace they own.
pub async fn sign_up(db: &Db, email: &str, password: &str) -> Result<User, SignUpError> {
    let email = normalize_email(email)?;
    password::check_strength_blocking(password.to_owned(), email.clone()).await?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(SignUpError::EmailTaken);
    }
    let password_hash = password::hash_blocking(password.to_owned()).await;
    let now = Utc::now();
    let user = User {
        id: new_id(),
        email,
        created_at: now,
    };
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&password_hash)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {
            workspaces::create_in(&mut tx, &user.email, &user).await?;
            tx.commit().await?;
            Ok(user)
        }
        // Two sign-ups with one email at the same moment: the second one loses cleanly.
        Err(err) if is_unique_violation(&err) => Err(SignUpError::EmailTaken),
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("Email or password is incorrect.")]
    WrongCredentials,
    #[error("Too many failed sign-ins. Try again in {} minute(s).", minutes_rounded_up(*retry_after))]
    Throttled { retry_after: Duration },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

fn minutes_rounded_up(duration: Duration) -> i64 {
    (duration.num_seconds() + 59) / 60
}

pub async fn sign_in(
    db: &Db,
    email: &str,
    password: &str,
    client_ip: &str,
) -> Result<User, SignInError> {
    let now = Utc::now();
    // An unparseable address can never match; count it under its raw text.
    let email = normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    // Counted before the password is checked, atomically, so parallel guesses are throttled too.
    if let Verdict::Throttled { retry_after } =
        sign_in_throttle::begin_attempt(db, &email, client_ip, now).await?
    {
        return Err(SignInError::Throttled { retry_after });
    }
    let row =
        sqlx::query("SELECT id, email, created_at, password_hash FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(db.pool())
            .await?;
    let (user, stored_hash) = match &row {
        Some(row) => (
            Some(User::from_row(row)?),
            row.try_get::<String, _>("password_hash")?,
        ),
        None => (None, password::decoy_hash().to_owned()),
    };
    let password_ok = password::verify_blocking(password.to_owned(), stored_hash).await;
    match user {
        Some(user) if password_ok => {
            sign_in_throttle::clear(db, &email).await?;
            Ok(user)
        }
        // The attempt stays recorded as a failure.
        _ => Err(SignInError::WrongCredentials),
    }
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<User>, sqlx::Error> {
    find_one(
        db,
        "SELECT id, email, created_at FROM users WHERE id = $1",
        id,
    )
    .await
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    find_one(
        db,
        "SELECT id, email, created_at FROM users WHERE email = $1",
        email,
    )
    .await
}

async fn find_one(db: &Db, sql: &'static str, key: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query(sql)
        .bind(key)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(User::from_row)
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_email("  Ada@Example.COM "),
            Ok("ada@example.com".to_owned())
        );
        assert_eq!(
            normalize_email("admin@localhost"),
            Ok("admin@localhost".into())
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@@example.com",
            "a da@example.com",
            "ada@exa mple.com",
            "ada@example..com",
            "ada@-example.com",
            "ada@exam\u{7}ple.com",
        ] {
            assert_eq!(normalize_email(bad), Err(InvalidEmail), "{bad:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(normalize_email(&long_local), Err(InvalidEmail));
    }

    #[test]
    fn throttle_message_rounds_minutes_up() {
        let err = SignInError::Throttled {
            retry_after: Duration::seconds(61),
        };
        assert_eq!(
            err.to_string(),
            "Too many failed sign-ins. Try again in 2 minute(s)."
        );
    }
}
