//! How the hooks name the lanes executable.
//!
//! Claude Code lets every tool call through when a hook cannot start (hooks fact sheet §4.1),
//! so a registered command that does not resolve silently switches lanes off. The rule:
//! `--hook-command` wins; else `lanes` when a `lanes` is on PATH (portable: the committed
//! settings work on every machine that has lanes installed); else the absolute path of the
//! running executable (works here, but only here, so the report says so).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The command both hooks run, and what it resolves to on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookCommand {
    /// `lanes`, an absolute path, or what `--hook-command` said.
    pub command: String,
    /// The executable it reaches here; `None` when it reaches none (the hooks would fail).
    pub resolves_to: Option<PathBuf>,
    /// A warning for the report, when the choice has a catch.
    pub warning: Option<String>,
}

/// Chooses the command. `explicit` is `--hook-command`, `exe` the running executable
/// (`std::env::current_exe`), `path_var` the `PATH` variable.
pub fn choose(explicit: Option<&str>, exe: Option<&Path>, path_var: Option<&OsStr>) -> HookCommand {
    if let Some(cmd) = explicit {
        let resolves_to = resolve(cmd, path_var);
        let warning = resolves_to.is_none().then(|| {
            format!(
                "`{cmd}` (--hook-command) does not resolve to an executable here; until it does, Claude Code \
                 runs tool calls unchecked and the pre-commit hook refuses every commit"
            )
        });
        return HookCommand {
            command: cmd.to_string(),
            resolves_to,
            warning,
        };
    }
    let exe = exe.map(|e| e.canonicalize().unwrap_or_else(|_| e.to_path_buf()));
    match which("lanes", path_var) {
        Some(found) => {
            let real = found.canonicalize().unwrap_or_else(|_| found.clone());
            let warning = match &exe {
                Some(e) if *e != real => Some(format!(
                    "the hooks run `lanes` from PATH, which is {}, not the lanes running now ({}); make sure it is \
                     the version you want",
                    found.display(),
                    e.display()
                )),
                _ => None,
            };
            HookCommand { command: "lanes".into(), resolves_to: Some(found), warning }
        }
        None => match exe {
            Some(e) => HookCommand {
                command: e.to_string_lossy().into_owned(),
                warning: Some(format!(
                    "lanes is not on PATH, so the hooks name this executable by its absolute path ({}), which exists \
                     on this machine only. Before you commit .claude/settings.json, put lanes on PATH (cargo install) \
                     and run lanes init again, or pass --hook-command lanes",
                    e.display()
                )),
                resolves_to: Some(e),
            },
            None => HookCommand {
                command: "lanes".into(),
                resolves_to: None,
                warning: Some(
                    "lanes is not on PATH and the running executable is unknown; the hooks name `lanes`, which does \
                     not resolve here, so Claude Code would run tool calls unchecked"
                        .into(),
                ),
            },
        },
    }
}

/// What `cmd` reaches: a path (with a `/`) if it is an executable file, else a PATH lookup.
fn resolve(cmd: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    if cmd.contains('/') || cmd.contains('\\') {
        let p = PathBuf::from(cmd);
        return is_executable(&p).then_some(p);
    }
    which(cmd, path_var)
}

/// The first executable file `name` in the directories of `path_var`.
fn which(name: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(path_var?)
        .map(|d| d.join(&file))
        .find(|p| p.is_absolute() && is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn exe_in(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        p
    }

    #[test]
    fn lanes_on_path_is_named_lanes() {
        let bin = tempfile::tempdir().unwrap();
        let lanes = exe_in(bin.path(), "lanes");
        let path = OsString::from(format!("/nonexistent:{}", bin.path().display()));
        let c = choose(None, Some(&lanes), Some(&path));
        assert_eq!(
            (c.command.as_str(), c.resolves_to, c.warning),
            ("lanes", Some(lanes.clone()), None)
        );
        let other = exe_in(bin.path(), "other");
        let c = choose(None, Some(&other), Some(&path));
        assert_eq!(c.command, "lanes");
        assert!(c.warning.unwrap().contains("not the lanes running now"));
    }

    #[test]
    fn without_lanes_on_path_the_absolute_path_is_used_with_a_warning() {
        let bin = tempfile::tempdir().unwrap();
        let me = exe_in(bin.path(), "lanes-dev");
        let c = choose(None, Some(&me), Some(OsStr::new("/nonexistent")));
        let real = me.canonicalize().unwrap();
        assert_eq!(c.command, real.to_string_lossy());
        assert_eq!(c.resolves_to, Some(real));
        assert!(c.warning.unwrap().contains("on this machine only"));
        let c = choose(None, None, None);
        assert_eq!((c.command.as_str(), c.resolves_to), ("lanes", None));
    }

    #[test]
    fn an_explicit_command_is_kept_and_checked() {
        let bin = tempfile::tempdir().unwrap();
        let me = exe_in(bin.path(), "lanes");
        let c = choose(Some("lanes"), Some(&me), Some(OsStr::new("/nonexistent")));
        assert_eq!(c.command, "lanes");
        assert!(c.warning.unwrap().contains("does not resolve"));
        let c = choose(Some(me.to_str().unwrap()), None, None);
        assert_eq!((c.resolves_to, c.warning), (Some(me), None));
    }
}
