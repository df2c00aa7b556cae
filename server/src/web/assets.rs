//! The built site's files under `/pkg`, and how long a browser may keep each.
//!
//! A cargo-leptos build names the JS, wasm and CSS after their content (cargo-leptos's `hash-files`)
//! and writes the hashes to `hash.txt` beside the binary, where Leptos reads them to link the
//! pages to the right files. A file whose name carries its hash never changes, so it is served
//! `immutable` for a year; any other file is revalidated on every load.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

/// The file cargo-leptos writes the hashes to, beside the server binary.
pub const HASH_FILE: &str = "hash.txt";

const FOREVER: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// Where the hash file of this build is, if the build wrote one.
pub fn hash_file() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let file = exe.parent()?.join(HASH_FILE);
    file.exists().then_some(file)
}

/// The paths under `/pkg` that carry their content's hash.
#[derive(Clone, Debug)]
pub struct HashedAssets {
    paths: Arc<HashSet<String>>,
}

impl HashedAssets {
    /// This build's assets: hashed when it wrote a hash file (and it reads), plain otherwise.
    pub fn of_this_build(output_name: &str, pkg_dir: &str) -> Self {
        let hashes = hash_file().and_then(|file| {
            std::fs::read_to_string(&file)
                .inspect_err(|err| {
                    tracing::warn!(file = %file.display(), error = %err, "cannot read the asset hashes; every asset will be revalidated");
                })
                .ok()
        });
        Self::parse(hashes.as_deref().unwrap_or(""), output_name, pkg_dir)
    }

    fn parse(hashes: &str, output_name: &str, pkg_dir: &str) -> Self {
        let mut paths = HashSet::new();
        for (kind, hash) in hashes.lines().filter_map(|line| line.split_once(':')) {
            let (kind, hash) = (kind.trim(), hash.trim());
            let well_formed = !hash.is_empty()
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !well_formed || !matches!(kind, "js" | "wasm" | "css") {
                continue;
            }
            paths.insert(format!("/{pkg_dir}/{output_name}.{hash}.{kind}"));
        }
        HashedAssets {
            paths: Arc::new(paths),
        }
    }

    /// The stylesheet's path, for the sandbox's pages, which Leptos does not render.
    #[cfg(feature = "sandbox")]
    pub fn stylesheet(&self, output_name: &str, pkg_dir: &str) -> String {
        self.paths
            .iter()
            .find(|path| path.ends_with(".css"))
            .cloned()
            .unwrap_or_else(|| format!("/{pkg_dir}/{output_name}.css"))
    }

    /// Whether `path` (or its precompressed twin) is one of the hashed files.
    fn is_hashed(&self, path: &str) -> bool {
        let original = path
            .strip_suffix(".br")
            .or_else(|| path.strip_suffix(".gz"))
            .unwrap_or(path);
        self.paths.contains(original)
    }
}

/// Marks a `/pkg` response as cacheable for good when its file is hashed, revalidated otherwise.
pub async fn cache_for(
    State(hashed): State<HashedAssets>,
    request: Request,
    next: Next,
) -> Response {
    let forever = hashed.is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let value = if forever && response.status().is_success() {
        FOREVER
    } else {
        REVALIDATE
    };
    response.headers_mut().insert(header::CACHE_CONTROL, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_hashed_files_are_kept_forever() {
        let hashed = HashedAssets::parse(
            "js: AbC123\nwasm: d_e-f\ncss: 9z\nsplit: xyz\njs: ../evil\n\n",
            "plugboard",
            "pkg",
        );
        for kept in [
            "/pkg/plugboard.AbC123.js",
            "/pkg/plugboard.d_e-f.wasm",
            "/pkg/plugboard.9z.css",
            "/pkg/plugboard.9z.css.br",
            "/pkg/plugboard.d_e-f.wasm.gz",
        ] {
            assert!(hashed.is_hashed(kept), "{kept}");
        }
        for revalidated in [
            "/pkg/plugboard.js",
            "/pkg/plugboard.css",
            "/pkg/plugboard.xyz.js",
            "/pkg/plugboard.AbC123.css",
            "/pkg/other.AbC123.js",
            "/pkg/plugboard.../evil.js",
        ] {
            assert!(!hashed.is_hashed(revalidated), "{revalidated}");
        }
        assert_eq!(
            hashed.stylesheet("plugboard", "pkg"),
            "/pkg/plugboard.9z.css"
        );
        let plain = HashedAssets::parse("", "plugboard", "pkg");
        assert_eq!(plain.stylesheet("plugboard", "pkg"), "/pkg/plugboard.css");
        assert!(!plain.is_hashed("/pkg/plugboard.css"));
    }
}
