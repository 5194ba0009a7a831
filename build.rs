//! Links `lanes` (and the benchmark's floor, so both are built alike) as a position-dependent
//! executable on Linux.
//!
//! `lanes hook` is a fresh process on every tool call. A position-independent executable makes
//! the dynamic loader apply about 5,400 relocations at each start and copy-on-write every page
//! they touch (about 23 of the hook's ~120 page faults), a tenth of the call; a
//! position-dependent one has them resolved at link time. The price is that the executable's
//! own code is not address-randomised (libraries still are); lanes is safe Rust apart from one
//! signal handler, and the trade is measured in bench/run and explained in the README.
//! Other systems keep their default.

// Cargo's documented way to learn the target in a build script; not the process environment
// that src/env.rs guards.
#[allow(clippy::disallowed_methods)]
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        println!("cargo:rustc-link-arg-examples=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
