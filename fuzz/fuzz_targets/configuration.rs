//! Configuration from the environment: any set of `NAME=value` lines either makes a working
//! configuration or an error that names a setting.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let vars: HashMap<&str, &str> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .collect();
    match engine::Config::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())) {
        Ok(config) => {
            assert!(config.refresh_concurrency >= 1);
            assert!(matches!(config.base_url.scheme(), "http" | "https"));
        }
        Err(error) => assert!(!error.setting.is_empty()),
    }
});
