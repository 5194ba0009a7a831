//! Harness for end-to-end tests that drive the real Claude Code CLI against a scripted stub of
//! the Anthropic Messages API (`stub_api.py`), with `lanes hook` registered as a PreToolUse hook.
//!
//! - [`install`]: the pinned CLI, installed with npm once and cached under the target dir.
//! - [`stub`]: the stub server process (`tests/e2e/stub_api.py`, Python stdlib only).
//! - [`repo`]: hermetic temp git repos with `lanes.toml`, hook settings and subagent files.
//! - [`scenario`]: scripted tool calls, one `claude -p` run, and on-disk/audit assertions.
//! - [`tmux`]: a private tmux server for `lanes up`, killed on drop.
//!
//! Nothing here talks to any host but 127.0.0.1 (the stub); only the install step uses npm.
//!
//! A new case is one call plus assertions (paths are relative to the temp repo):
//!
//! ```ignore
//! let Some(out) = scenario(Some("builder"), None, vec![Call::bash("echo x > research/b.txt")])
//! else { return }; // LANES_SKIP_E2E=1 (the skip is reported)
//! out.assert_blocked("research/b.txt");
//! out.assert_audit(Some("research/b.txt"), "deny", "env");
//! ```
//!
//! `Scenario::new()` sets the rest: `.policy(toml)`, `.agents(&[names])`, `.timeout(d)`.

#![allow(dead_code)] // Not every test binary uses every helper.

pub mod install;
pub mod process;
pub mod repo;
pub mod scenario;
pub mod stub;
pub mod tmux;

#[allow(unused_imports)] // Re-exported for tests that build scenarios by hand.
pub use scenario::{scenario, Call, Outcome, Scenario};

/// `true` when `LANES_SKIP_E2E=1`: the calling e2e test then returns without running, and
/// says so on stderr (see `skip`). Under CI the switch fails the test instead.
pub fn skip_requested() -> bool {
    crate::skip::switch(
        "LANES_SKIP_E2E",
        "the Claude Code end-to-end test did not run",
    )
}

/// The caller's PATH, handed to claude so that it, its hooks and its Bash tool find git and sh.
#[allow(clippy::disallowed_methods)] // Test harness settings, not lanes configuration.
pub fn host_path() -> std::ffi::OsString {
    std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into())
}

/// Writes straight to stderr, past libtest's output capture, so a skip shows in every log.
pub fn notice(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}
