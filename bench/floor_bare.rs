//! The floor without the Rust runtime's start: the same work as `bench/floor.rs`, from a C
//! `main` as `lanes` has on glibc Linux (see `src/start.rs`). `bench/run` times it next to the
//! floor, so the share of lanes' margin that comes from skipping that start is shown, not
//! hidden in the ratios.
// (Not in unit tests, whose harness brings its own `main`.)
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
use std::io::Read;

/// The C entry point; returns the exit status (0, or 2 when the input is not a hook input).
#[cfg(not(test))]
#[allow(unsafe_code)] // an exported, unmangled symbol
#[unsafe(no_mangle)]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    let mut input = Vec::new();
    if std::io::stdin().lock().read_to_end(&mut input).is_err() {
        return 2;
    }
    match serde_json::from_slice::<serde_json::Value>(&input) {
        Ok(v) if v.get("tool_name").is_some() => 0,
        _ => 2,
    }
}
