//! The integration API's requests: a post's JSON body and its checks, the list's cursor and
//! status parameters.
#![no_main]

use engine::posts::{validate, Cursor, PostRequest, PostStatus};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = serde_json::from_slice::<PostRequest>(data) {
        let key = String::from_utf8_lossy(data)
            .chars()
            .take(250)
            .collect::<String>();
        for idempotency_key in [None, Some(key)] {
            if let Ok(ids) = validate(
                &request.clone().into_new_post(idempotency_key),
                chrono::Utc::now(),
            ) {
                assert!(!ids.is_empty() && ids.len() <= 50);
            }
        }
    }
    let text = String::from_utf8_lossy(data);
    if let Some(cursor) = Cursor::decode(&text) {
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }
    let _ = PostStatus::parse(&text);
});
