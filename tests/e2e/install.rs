//! The pinned agent CLIs, each installed with npm into `<target dir>/e2e-<name>/<version>/` on
//! first use and reused afterwards: Claude Code, Codex, Copilot CLI and Gemini CLI.
//!
//! Every package is installed with `--ignore-scripts`: Claude Code ships its CLI as a native
//! binary inside a per-platform optional dependency (run directly), and the other three run
//! from `node_modules/.bin/` without a postinstall step. Concurrent first runs (several test
//! binaries or processes) install into private staging directories and race only on one
//! `rename`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::process::run_with_timeout;

/// The Claude Code version the e2e tests are pinned to.
pub const CLAUDE_CODE_VERSION: &str = "2.1.330";
const NPM_TIMEOUT: Duration = Duration::from_secs(300);

/// One pinned npm package and how to find its executable.
pub struct Package {
    /// The short name: cache folder `e2e-<name>` and messages.
    pub name: &'static str,
    /// The npm package.
    pub npm: &'static str,
    /// The pinned version; `--version` must print it.
    pub version: &'static str,
    /// The executable under an npm prefix, if installed.
    pub find: fn(&Path) -> Option<PathBuf>,
}

/// Claude Code: its platform package's native binary.
pub const CLAUDE: Package = Package {
    name: "claude",
    npm: "@anthropic-ai/claude-code",
    version: CLAUDE_CODE_VERSION,
    find: claude_binary,
};

/// OpenAI Codex (`shared/reference/other-clients.md` §6).
pub const CODEX: Package = Package {
    name: "codex",
    npm: "@openai/codex",
    version: "0.171.0",
    find: |p| bin(p, "codex"),
};

/// GitHub Copilot CLI.
pub const COPILOT: Package = Package {
    name: "copilot",
    npm: "@github/copilot",
    version: "1.0.102",
    find: |p| bin(p, "copilot"),
};

/// Gemini CLI.
pub const GEMINI: Package = Package {
    name: "gemini",
    npm: "@google/gemini-cli",
    version: "0.61.0",
    find: |p| bin(p, "gemini"),
};

/// The pinned `claude` binary, installed if needed. Panics with instructions when npm is
/// missing or the install fails.
pub fn claude() -> &'static Path {
    static CLAUDE_BIN: OnceLock<PathBuf> = OnceLock::new();
    CLAUDE_BIN.get_or_init(|| install(&CLAUDE).unwrap_or_else(|e| panic!("{e}")))
}

/// The pinned executable of `package`, installed if needed (once per test process).
pub fn installed(package: &'static Package) -> PathBuf {
    static DONE: OnceLock<std::sync::Mutex<Vec<(&'static str, PathBuf)>>> = OnceLock::new();
    let done = DONE.get_or_init(Default::default);
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = done.iter().find(|(n, _)| *n == package.name) {
        return p.clone();
    }
    let p = install(package).unwrap_or_else(|e| panic!("{e}"));
    done.push((package.name, p.clone()));
    p
}

/// `<target dir>/e2e-<name>`: `CARGO_TARGET_TMPDIR` is `<target dir>/tmp`.
fn cache_root(package: &Package) -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .unwrap_or(tmp)
        .join(format!("e2e-{}", package.name))
}

fn install(package: &Package) -> Result<PathBuf, String> {
    let (npm, version) = (package.npm, package.version);
    let root = cache_root(package);
    let dest = root.join(version);
    if let Some(bin) = (package.find)(&dest) {
        check_version(package, &bin)?;
        return Ok(bin);
    }
    require_tool("npm", &format!("to install {npm}@{version}"))?;
    fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let staging = root.join(format!(".staging-{version}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    super::notice(&format!(
        "e2e: installing {npm}@{version} with npm into {} (once)",
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
            .arg(format!("{npm}@{version}")),
        NPM_TIMEOUT,
    )
    .map_err(|e| format!("running npm: {e}"))?;
    if !done.success() {
        let _ = fs::remove_dir_all(&staging);
        return Err(format!(
            "npm install {npm}@{version} failed ({}):\n{}\n{}\n\
             Set LANES_SKIP_E2E=1 to skip the end-to-end tests (not under CI).",
            done.status.map_or("timed out".into(), |s| s.to_string()),
            done.stdout,
            done.stderr
        ));
    }
    if (package.find)(&staging).is_none() {
        let _ = fs::remove_dir_all(&staging);
        return Err(format!(
            "npm installed {npm}@{version} but its executable for this platform was not found \
             under node_modules/"
        ));
    }
    // Another process may have won the race; its copy is as good as ours.
    if fs::rename(&staging, &dest).is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    let bin = (package.find)(&dest).ok_or_else(|| {
        format!(
            "no {} executable under {} after install",
            package.name,
            dest.display()
        )
    })?;
    check_version(package, &bin)?;
    Ok(bin)
}

/// Claude Code's platform package's native binary under `prefix/node_modules/@anthropic-ai/`.
fn claude_binary(prefix: &Path) -> Option<PathBuf> {
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

/// `prefix/node_modules/.bin/<name>`.
fn bin(prefix: &Path, name: &str) -> Option<PathBuf> {
    let p = prefix.join("node_modules").join(".bin").join(name);
    p.is_file().then_some(p)
}

fn check_version(package: &Package, bin: &Path) -> Result<(), String> {
    let done = run_with_timeout(Command::new(bin).arg("--version"), Duration::from_secs(60))
        .map_err(|e| format!("running {} --version: {e}", bin.display()))?;
    if done.success() && done.stdout.contains(package.version) {
        Ok(())
    } else {
        Err(format!(
            "{} --version printed {:?} (stderr {:?}); expected {}. Delete {} to reinstall.",
            bin.display(),
            done.stdout.trim(),
            done.stderr.trim(),
            package.version,
            cache_root(package).display()
        ))
    }
}

/// Errors with a clear message (and the skip switch) when `tool` is not runnable.
pub fn require_tool(tool: &str, why: &str) -> Result<(), String> {
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err(format!(
            "the end-to-end tests need `{tool}` on PATH ({why}), and it was not found. \
             Install it, or set LANES_SKIP_E2E=1 to skip these tests (not under CI)."
        )),
    }
}
