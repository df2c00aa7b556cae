//! Entry point of the wasm bundle. Only the `#[island]` components of `app` run in the browser;
//! the rest of each page is server-rendered HTML.

// Linking `app` is what brings its islands into the bundle.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panics in the console cost about 10 KiB of formatting code: development builds only.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
