//! Can Claude Code's Bash sandbox run on this machine?
//!
//! On Linux it needs `bwrap` (bubblewrap) and `socat` on PATH, and bwrap must be able to make
//! a user namespace: Claude Code always asks for one, and where user namespaces are off it
//! starts anyway and every Bash call fails (sandbox-and-teams.md §1.3). Its own dependency
//! check looks for the two programs only, so lanes tries a namespace itself, the way Claude
//! Code's bwrap command line does. On macOS the sandbox is Seatbelt (`sandbox-exec`), part of
//! the system. This is the one module of `lanes run` that starts a process.

use serde::Serialize;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How to install the Linux dependencies, for messages.
pub const INSTALL_HINT: &str =
    "install them: `sudo apt-get install bubblewrap socat` (Debian, Ubuntu), \
     `sudo dnf install bubblewrap socat` (Fedora), `sudo pacman -S bubblewrap socat` (Arch)";

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// `linux`, `macos`, or another `std::env::consts::OS`.
    pub os: String,
    /// `bwrap` on PATH (Linux).
    pub bwrap: Option<PathBuf>,
    /// `socat` on PATH (Linux).
    pub socat: Option<PathBuf>,
    /// Whether bwrap could make a user namespace; `Err` holds bwrap's own words. `None` when
    /// not tried (no bwrap, not Linux).
    pub user_namespaces: Option<Result<(), String>>,
}

impl Probe {
    /// Looks at this machine: programs on `path_var` (the `PATH` variable), and one
    /// `bwrap --unshare-user ... true` run when bwrap is there.
    pub fn run(path_var: Option<&OsStr>) -> Probe {
        let os = std::env::consts::OS.to_string();
        if os != "linux" {
            return Probe {
                os,
                bwrap: None,
                socat: None,
                user_namespaces: None,
            };
        }
        let bwrap = which("bwrap", path_var);
        let socat = which("socat", path_var);
        let user_namespaces = bwrap.as_deref().map(try_namespace);
        Probe {
            os,
            bwrap,
            socat,
            user_namespaces,
        }
    }

    /// What keeps the sandbox from running here, one sentence each; empty when it can run.
    pub fn missing(&self) -> Vec<String> {
        match self.os.as_str() {
            "linux" => {}
            "macos" => {
                return match Path::new("/usr/bin/sandbox-exec").exists() {
                    true => Vec::new(),
                    false => vec!["/usr/bin/sandbox-exec (Seatbelt) is not there".into()],
                }
            }
            other => {
                return vec![format!(
                    "Claude Code's sandbox runs on Linux and macOS only, not on {other}"
                )]
            }
        }
        let mut out = Vec::new();
        if self.bwrap.is_none() {
            out.push("bubblewrap (bwrap) is not on PATH".to_string());
        }
        if self.socat.is_none() {
            out.push("socat is not on PATH".to_string());
        }
        if let Some(Err(e)) = &self.user_namespaces {
            out.push(format!(
                "bwrap cannot make a user namespace here ({e}); enable unprivileged user namespaces \
                 (`sysctl kernel.unprivileged_userns_clone=1`, and on Ubuntu 24.04 or later \
                 `sysctl kernel.apparmor_restrict_unprivileged_userns=0`)"
            ));
        }
        out
    }

    /// True when the sandbox can run here.
    pub fn ready(&self) -> bool {
        self.missing().is_empty()
    }

    /// One line for people: what runs the sandbox here, or what is missing.
    pub fn describe(&self) -> String {
        let missing = self.missing();
        if !missing.is_empty() {
            return format!("cannot run: {}", missing.join("; "));
        }
        match (&self.bwrap, &self.socat) {
            (Some(b), Some(s)) => format!(
                "can run (bwrap {}, user namespaces work, socat {})",
                b.display(),
                s.display()
            ),
            _ => "can run (Seatbelt)".to_string(),
        }
    }
}

/// Runs bwrap the way Claude Code does for each Bash call, minus the seccomp filter and the
/// network bridges: a new user, PID and network namespace over a read-only root.
fn try_namespace(bwrap: &Path) -> Result<(), String> {
    let out = Command::new(bwrap)
        .args([
            "--new-session",
            "--die-with-parent",
            "--unshare-user",
            "--unshare-pid",
            "--unshare-net",
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "true",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", bwrap.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said = said.lines().next().unwrap_or("").trim();
    Err(match said.is_empty() {
        true => format!("bwrap exited with {}", out.status),
        false => said.to_string(),
    })
}

/// The first executable file called `name` in the directories of `path_var`.
pub fn which(name: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(file: &Path) -> bool {
    file.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux(bwrap: bool, socat: bool, ns: Option<Result<(), String>>) -> Probe {
        Probe {
            os: "linux".into(),
            bwrap: bwrap.then(|| "/usr/bin/bwrap".into()),
            socat: socat.then(|| "/usr/bin/socat".into()),
            user_namespaces: ns,
        }
    }

    #[test]
    fn says_what_is_missing() {
        assert!(linux(true, true, Some(Ok(()))).ready());
        assert_eq!(
            linux(false, false, None).missing(),
            ["bubblewrap (bwrap) is not on PATH", "socat is not on PATH"]
        );
        let no_ns = linux(true, true, Some(Err("bwrap: No permissions".into())));
        assert!(!no_ns.ready());
        assert!(no_ns.missing()[0]
            .starts_with("bwrap cannot make a user namespace here (bwrap: No permissions)"));
        let other = Probe {
            os: "windows".into(),
            ..linux(false, false, None)
        };
        assert!(!other.ready());
    }

    #[test]
    fn finds_programs_on_the_path_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        assert_eq!(which("bwrap", Some(&path)), None);
        let file = dir.path().join("bwrap");
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(which("bwrap", Some(&path)), None, "not executable");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(which("bwrap", Some(&path)), Some(file));
        assert_eq!(which("bwrap", None), None);
    }
}
