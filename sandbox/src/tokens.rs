//! The sandbox's tokens: self-describing and signed (HMAC-SHA256), so they survive a restart of
//! the sandbox and cannot be forged by hand.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::Platform;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn tag(self) -> &'static str {
        match self {
            TokenKind::Access => "at",
            TokenKind::Refresh => "rt",
        }
    }
}

/// What a sandbox token says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub platform: Platform,
    pub kind: TokenKind,
    /// Which sandbox person approved (`ada` or `grace`).
    pub identity: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The consent (grant) the token descends from: revoking a grant revokes all its tokens.
    pub grant: String,
    /// What the token is for, when not the person (a Facebook Page's id); empty otherwise.
    pub subject: String,
}

/// A new grant's id.
pub fn new_grant() -> String {
    format!("{:x}", rand::random::<u64>())
}

/// Whether a piece of a claim can travel in a token (the token is dot-separated).
fn fits(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub fn new(key: [u8; 32]) -> Signer {
        Signer { key }
    }

    fn hmac(&self, payload: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    fn mac(&self, payload: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.hmac(payload).finalize().into_bytes())
    }

    /// A signed token carrying `claims` and a nonce of its own (its id, for revoking it alone).
    pub fn issue(&self, claims: &Claims) -> String {
        assert!(
            [&claims.identity, &claims.grant, &claims.subject]
                .iter()
                .all(|part| fits(part)),
            "sandbox claims are plain words"
        );
        let nonce: u64 = rand::random();
        let payload = format!(
            "sbx.{}.{}.{}.{}.{}.{}.{}.{nonce:x}",
            claims.platform.slug(),
            claims.kind.tag(),
            claims.identity,
            claims.issued_at,
            claims.expires_at,
            claims.grant,
            claims.subject,
        );
        let mac = self.mac(&payload);
        format!("{payload}.{mac}")
    }

    /// The claims of a genuine token, whatever its expiry (callers judge time themselves).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let (payload, mac) = token.rsplit_once('.')?;
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        // In constant time.
        self.hmac(payload).verify_slice(&given).ok()?;
        let parts: Vec<&str> = payload.split('.').collect();
        let [prefix, platform, kind, identity, issued_at, expires_at, grant, subject, _nonce] =
            parts.as_slice()
        else {
            return None;
        };
        if *prefix != "sbx" {
            return None;
        }
        Some(Claims {
            platform: Platform::from_slug(platform)?,
            kind: match *kind {
                "at" => TokenKind::Access,
                "rt" => TokenKind::Refresh,
                _ => return None,
            },
            identity: (*identity).to_owned(),
            issued_at: issued_at.parse().ok()?,
            expires_at: expires_at.parse().ok()?,
            grant: (*grant).to_owned(),
            subject: (*subject).to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            platform: Platform::X,
            kind: TokenKind::Access,
            identity: "ada".into(),
            issued_at: 100,
            expires_at: 200,
            grant: "g1".into(),
            subject: String::new(),
        }
    }

    #[test]
    fn tokens_round_trip_and_are_unique() {
        let signer = Signer::new([7; 32]);
        let a = signer.issue(&claims());
        let b = signer.issue(&claims());
        assert_ne!(a, b);
        assert_eq!(signer.verify(&a), Some(claims()));
    }

    #[test]
    fn forged_or_foreign_tokens_fail() {
        let signer = Signer::new([7; 32]);
        let token = signer.issue(&claims());
        let forged = token.replace(".ada.", ".eve.");
        assert_eq!(signer.verify(&forged), None);
        assert_eq!(Signer::new([8; 32]).verify(&token), None);
        assert_eq!(signer.verify("nonsense"), None);
    }
}
