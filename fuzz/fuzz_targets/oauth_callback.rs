//! The OAuth callback's query, as axum reads it (serde_urlencoded), and what Plugboard makes of a
//! platform coming back with an error: the code the page shows and the platform's words.
#![no_main]

use engine::connections::connect::CallbackParams;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &[u8]| {
    let Ok(params) = serde_urlencoded::from_bytes::<CallbackParams>(query) else {
        return;
    };
    if let Some(refusal) = params.refusal() {
        let code = refusal.code();
        assert!(
            code.len() <= 64 && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "a code the page's URL can carry: {code:?}"
        );
        if let Some(words) = refusal.description() {
            assert!(words.chars().count() <= 300);
        }
    }
});
