//! What credential platforms answer (Bluesky sessions and their JWTs, Telegram's getMe) and what
//! people type into the credential forms.
#![no_main]

use domain::CredentialField;
use engine::platforms::adapters::{
    bluesky_tokens, check_app_password, check_bluesky_identifier, check_bot_token, jwt_exp,
    telegram_bot,
};
use engine::platforms::credentials::check_base_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = jwt_exp(&text);
    let _ = check_bluesky_identifier(&text);
    let _ = check_app_password(&text);
    let _ = check_bot_token(&text);
    let _ = check_base_url(&text, CredentialField::BaseUrl);
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(tokens) = bluesky_tokens(&json, chrono::Utc::now()) {
            assert!(
                tokens.expires_in.is_some(),
                "a Bluesky session always expires"
            );
        }
        let _ = telegram_bot(&json, String::from("token"));
    }
});
