//! Link settings for `lanes` (and the benchmark's floors, where they apply) on Linux.
//!
//! `lanes hook` is a fresh process on every tool call, so what the loader and the first page
//! faults cost is paid on every call:
//! - **A position-dependent executable.** A position-independent one makes the dynamic loader
//!   apply about 5,400 relocations at each start and copy-on-write every page they touch
//!   (about 23 of the hook's ~120 page faults), a tenth of the call; a position-dependent one
//!   has them resolved at link time. The price is that the executable's own code is not
//!   address-randomised (libraries still are); lanes is safe Rust apart from its start and one
//!   signal handler, and the trade is measured in bench/run and explained in the README.
//! - **The hook's functions side by side.** `bench/hot-symbols.txt` lists the functions the
//!   hook runs on the benchmark's inputs (made by `bench/hot-symbols`); the linker places them
//!   together, so the hook touches fewer pages of code (about 12 page faults and 5% of a call
//!   fewer). Only LLD takes the list: it is given when rustc links with its own LLD, the
//!   default on x86_64 Linux since Rust 1.90, and no other linker was chosen.
//!
//! Other systems keep their default.

use std::path::Path;
use std::process::Command;

// Cargo's documented way to learn the target in a build script; not the process environment
// that src/env.rs guards.
#[allow(clippy::disallowed_methods)]
fn main() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "linux" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        println!("cargo:rustc-link-arg-examples=-no-pie");
    }
    let list = Path::new(&var("CARGO_MANIFEST_DIR")).join("bench/hot-symbols.txt");
    let own_lld = var("TARGET") == "x86_64-unknown-linux-gnu"
        && std::env::var_os("RUSTC_LINKER").is_none()
        && !var("CARGO_ENCODED_RUSTFLAGS").contains("link")
        && rustc_minor(&var("RUSTC")).is_some_and(|minor| minor >= 90);
    if own_lld && list.exists() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        // Names the build no longer has (the list lags the code) are skipped quietly.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=bench/hot-symbols.txt");
}

/// The minor version of the Rust compiler `rustc` (`1.95.0` -> 95), if it says.
fn rustc_minor(rustc: &str) -> Option<u32> {
    let out = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}
