//! How columns the two databases share through sqlx's `Any` become Plugboard's types, for
//! `#[derive(sqlx::FromRow)]` with `#[sqlx(try_from = "...")]`: times stored as Unix
//! milliseconds, flags stored as integers, JSON stored as text, small numbers stored as
//! integers. Here, beside the views, so that they can read themselves from rows on the server
//! (the `sqlx` feature, which the browser bundle never turns on).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::any::AnyTypeInfo;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Type};

/// A time stored as Unix milliseconds; one beyond what a time can hold reads as the earliest.
pub fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

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

column!(
    /// An HTTP status code stored as an integer, or NULL.
    MaybeStatusCode(Option<i64>)
);

column!(
    /// Text that may be NULL: a code that is set only in some states.
    MaybeText(Option<String>)
);

impl TryFrom<MaybeStatusCode> for Option<u16> {
    type Error = std::num::TryFromIntError;

    fn try_from(stored: MaybeStatusCode) -> Result<Option<u16>, Self::Error> {
        stored.0.map(u16::try_from).transpose()
    }
}

impl TryFrom<MaybeText> for Option<crate::CancelReason> {
    type Error = strum::ParseError;

    fn try_from(stored: MaybeText) -> Result<Option<crate::CancelReason>, Self::Error> {
        stored.0.map(crate::CancelReason::try_from).transpose()
    }
}

impl TryFrom<MaybeText> for Option<crate::FailureKind> {
    type Error = strum::ParseError;

    fn try_from(stored: MaybeText) -> Result<Option<crate::FailureKind>, Self::Error> {
        stored.0.map(crate::FailureKind::try_from).transpose()
    }
}
