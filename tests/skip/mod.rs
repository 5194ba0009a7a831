//! Skipping a test, visibly. A skipped test returns early and libtest counts it as passed, so
//! each skip prints one line, `lanes-test-skipped: <test name>: <reason>`, straight to stderr
//! (past libtest's capture); `scripts/test` counts those lines and reports them as skipped, not
//! passed. Under CI (`CI` set) skipping is refused: a skip switch then fails the test.

#![allow(dead_code)] // each test binary uses a different part

/// The start of the line a skipped test prints (`scripts/test` counts it).
pub const SKIPPED: &str = "lanes-test-skipped";

/// True when the skip switch `var` is `1`: the calling test then returns without running,
/// after printing its skip line with `reason`. Panics when `CI` is set as well.
#[allow(clippy::disallowed_methods)] // Test harness settings, not lanes configuration.
pub fn switch(var: &str, reason: &str) -> bool {
    if std::env::var_os(var).is_none_or(|v| v != "1") {
        return false;
    }
    if let Some(ci) = ci() {
        panic!("{var}=1 asks to skip this test, but CI={ci} is set and CI runs every test: unset {var}");
    }
    report(&format!("{var}=1: {reason}"));
    true
}

/// `CI`'s value when it says this is a CI run (set, and neither empty, `0` nor `false`).
#[allow(clippy::disallowed_methods)] // Test harness settings, not lanes configuration.
fn ci() -> Option<String> {
    let v = std::env::var("CI").ok()?;
    (!matches!(v.trim(), "" | "0" | "false")).then_some(v)
}

/// Prints the skip line of the running test. libtest runs each test on a thread named after
/// it.
fn report(reason: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("<unnamed test>");
    // One write, so the line is not torn by output of tests running alongside; it starts on a
    // line of its own even after libtest's `test NAME ... ` (one test thread).
    let line = format!("\n{SKIPPED}: {name}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Reports that the calling test left part of its work undone (`reason` says which and why),
/// with the line of a skipped test, so `scripts/test` counts it. Panics when `CI` is set: CI
/// runs everything.
pub fn partial(reason: &str) {
    if let Some(ci) = ci() {
        panic!("CI={ci} is set and CI runs every test, but {reason}");
    }
    report(reason);
}
