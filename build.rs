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
//!   fewer). Only LLD takes the list, so it is given only when a trial link shows that the
//!   linker takes it (rustc's own LLD, the default of rustup's x86_64 Linux compiler since
//!   Rust 1.90); with another linker the build is as before.
//!
//! Other systems keep their default.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
    if var("CARGO_CFG_TARGET_OS") == "linux" && list.exists() {
        let order = [
            format!("-Wl,--symbol-ordering-file={}", list.display()),
            // Names the build no longer has (the list lags the code) are skipped quietly.
            "-Wl,--no-warn-symbol-ordering".to_string(),
        ];
        if links_with(&order, &var) {
            for arg in &order {
                println!("cargo:rustc-link-arg-bins={arg}");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=bench/hot-symbols.txt");
}

/// Whether the linker rustc will use for the binaries takes `args`: a trial link of an empty
/// program with the same compiler, target, linker and flags (about 0.15 s, once a build).
/// Asked rather than guessed, because whether rustc links with its own LLD depends on how the
/// compiler was built (rustup's x86_64 Linux one does since 1.90; a distribution's may use
/// the system's GNU ld, which rejects LLD's options and would fail the build).
fn links_with(args: &[String], var: &dyn Fn(&str) -> String) -> bool {
    let dir = PathBuf::from(var("OUT_DIR"));
    let source = dir.join("link-probe.rs");
    if std::fs::write(&source, "fn main() {}\n").is_err() {
        return false;
    }
    let mut rustc = Command::new(var("RUSTC"));
    rustc
        .arg(&source)
        .arg("--crate-type=bin")
        .arg("-o")
        .arg(dir.join("link-probe"));
    rustc.arg("--target").arg(var("TARGET"));
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    rustc.args(flags.split('\x1f').filter(|f| !f.is_empty()));
    let linker = var("RUSTC_LINKER");
    if !linker.is_empty() {
        rustc.arg(format!("-Clinker={linker}"));
    }
    rustc.args(args.iter().map(|arg| format!("-Clink-arg={arg}")));
    rustc
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
