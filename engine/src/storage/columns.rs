//! How columns the two databases share through sqlx's `Any` become Plugboard's types, for
//! `#[derive(sqlx::FromRow)]` with `#[sqlx(try_from = "...")]`: times stored as Unix
//! milliseconds, flags stored as integers, JSON stored as text.

use super::db::from_millis;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::any::AnyTypeInfo;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Type};

/// Declares a column type read as `$raw` through `Any`.
macro_rules! column {
    ($(#[$doc:meta])* $name:ident($raw:ty)) => {
        $(#[$doc])*
        pub struct $name($raw);

        impl Type<Any> for $name {
            fn type_info() -> AnyTypeInfo {
                <$raw as Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <$raw as Type<Any>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Any> for $name {
            fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                <$raw as Decode<'r, Any>>::decode(value).map($name)
            }
        }
    };
}

column!(
    /// A time stored as Unix milliseconds.
    Millis(i64)
);
column!(
    /// A time stored as Unix milliseconds, or NULL.
    MaybeMillis(Option<i64>)
);
column!(
    /// A flag stored as an integer (0 is false).
    Flag(i64)
);
column!(
    /// JSON stored as text.
    JsonText(String)
);

impl From<Millis> for DateTime<Utc> {
    fn from(stored: Millis) -> DateTime<Utc> {
        from_millis(stored.0)
    }
}

impl From<MaybeMillis> for Option<DateTime<Utc>> {
    fn from(stored: MaybeMillis) -> Option<DateTime<Utc>> {
        stored.0.map(from_millis)
    }
}

impl From<Flag> for bool {
    fn from(stored: Flag) -> bool {
        stored.0 != 0
    }
}

impl TryFrom<JsonText> for Value {
    type Error = serde_json::Error;

    fn try_from(stored: JsonText) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&stored.0)
    }
}
