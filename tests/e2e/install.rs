//! The pinned Claude Code CLI: installed with npm into `<target dir>/e2e-claude/<version>/` on
//! first use and reused afterwards.
//!
//! The npm package `@anthropic-ai/claude-code` ships the CLI as a native binary inside a
//! per-platform optional dependency (`@anthropic-ai/claude-code-linux-x64`, ...); the test runs
//! that binary directly, so the package's postinstall script is not needed (`--ignore-scripts`).
//! Concurrent first runs (several test binaries or processes) install into private staging
//! directories and race only on one `rename`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::process::run_with_timeout;

/// The Claude Code version the e2e tests are pinned to.
pub const CLAUDE_CODE_VERSION: &str = "2.1.330";
const PACKAGE: &str = "@anthropic-ai/claude-code";
const NPM_TIMEOUT: Duration = Duration::from_secs(300);

/// The pinned `claude` binary, installed if needed. Panics with instructions when npm is
/// missing or the install fails.
pub fn claude() -> &'static Path {
    static CLAUDE: OnceLock<PathBuf> = OnceLock::new();
    CLAUDE.get_or_init(|| install().unwrap_or_else(|e| panic!("{e}")))
}

/// `<target dir>/e2e-claude`: `CARGO_TARGET_TMPDIR` is `<target dir>/tmp`.
fn cache_root() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("e2e-claude")
}

fn install() -> Result<PathBuf, String> {
    let root = cache_root();
    let dest = root.join(CLAUDE_CODE_VERSION);
    if let Some(bin) = find_binary(&dest) {
        check_version(&bin)?;
        return Ok(bin);
    }
    require_tool(
        "npm",
        &format!("to install {PACKAGE}@{CLAUDE_CODE_VERSION}"),
    )?;
    fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let staging = root.join(format!(
        ".staging-{}-{}",
        CLAUDE_CODE_VERSION,
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&staging);
    super::notice(&format!(
        "e2e_claude: installing {PACKAGE}@{CLAUDE_CODE_VERSION} with npm into {} (once)",
        dest.display()
    ));
    let done = run_with_timeout(
        Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&staging)
            .args([
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .arg(format!("{PACKAGE}@{CLAUDE_CODE_VERSION}")),
        NPM_TIMEOUT,
    )
    .map_err(|e| format!("running npm: {e}"))?;
    if !done.success() {
        let _ = fs::remove_dir_all(&staging);
        return Err(format!(
            "npm install {PACKAGE}@{CLAUDE_CODE_VERSION} failed ({}):\n{}\n{}\n\
             Set LANES_SKIP_E2E=1 to skip the Claude Code end-to-end tests (not under CI).",
            done.status.map_or("timed out".into(), |s| s.to_string()),
            done.stdout,
            done.stderr
        ));
    }
    if find_binary(&staging).is_none() {
        let _ = fs::remove_dir_all(&staging);
        return Err(format!(
            "npm installed {PACKAGE}@{CLAUDE_CODE_VERSION} but no native claude binary for this \
             platform was found under node_modules/@anthropic-ai/claude-code-*/"
        ));
    }
    // Another process may have won the race; its copy is as good as ours.
    if fs::rename(&staging, &dest).is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    let bin = find_binary(&dest)
        .ok_or_else(|| format!("no claude binary under {} after install", dest.display()))?;
    check_version(&bin)?;
    Ok(bin)
}

/// The platform package's native binary under `prefix/node_modules/@anthropic-ai/`.
fn find_binary(prefix: &Path) -> Option<PathBuf> {
    let scope = prefix.join("node_modules").join("@anthropic-ai");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&scope)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("claude-code-"))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .flat_map(|d| [d.join("claude"), d.join("claude.exe")])
        .find(|p| p.is_file())
}

fn check_version(bin: &Path) -> Result<(), String> {
    let done = run_with_timeout(Command::new(bin).arg("--version"), Duration::from_secs(30))
        .map_err(|e| format!("running {} --version: {e}", bin.display()))?;
    if done.success() && done.stdout.starts_with(CLAUDE_CODE_VERSION) {
        Ok(())
    } else {
        Err(format!(
            "{} --version printed {:?} (stderr {:?}); expected {CLAUDE_CODE_VERSION}. \
             Delete {} to reinstall.",
            bin.display(),
            done.stdout.trim(),
            done.stderr.trim(),
            cache_root().display()
        ))
    }
}

/// Errors with a clear message (and the skip switch) when `tool` is not runnable.
pub fn require_tool(tool: &str, why: &str) -> Result<(), String> {
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err(format!(
            "the Claude Code end-to-end tests need `{tool}` on PATH ({why}), and it was not found. \
             Install it, or set LANES_SKIP_E2E=1 to skip these tests (not under CI)."
        )),
    }
}
