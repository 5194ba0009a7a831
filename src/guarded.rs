//! Paths outside the project that no role session may write, because writing them would
//! switch lanes off or let a role pick the policy that judges it:
//!
//! - a file named `lanes.toml`, anywhere (the outermost one above a directory governs it: see
//!   [`crate::policy::find`]);
//! - the user-level configuration of the agent clients lanes hooks into (Claude Code's
//!   `~/.claude/` and `~/.claude.json`, Codex's `~/.codex/` or `$CODEX_HOME`, Gemini CLI's
//!   `~/.gemini/` or `$GEMINI_CLI_HOME/.gemini/`, Copilot CLI's `~/.copilot/` or
//!   `$COPILOT_HOME`): `disableAllHooks`, a hook entry replaced;
//! - git's global and system configuration (`~/.gitconfig`, `$XDG_CONFIG_HOME/git/` or
//!   `~/.config/git/`, `/etc/gitconfig`): `core.hooksPath`, aliases, `include.path`;
//! - the `lanes` executables the hook registration may run (this executable, and every
//!   `lanes` on `PATH`);
//! - for a project below the top of its repository (a monorepo), the repository's git
//!   directory and the top's `.claude/`.
//!
//! A session without a role (the human) may write them: they are the user's.

use crate::env::Env;
use std::path::{Path, PathBuf};

/// What a guarded path is, for the rule that names it.
#[derive(Debug, Clone)]
pub struct Guard {
    /// Absolute, physical paths: each guards itself and everything below it.
    roots: Vec<(PathBuf, &'static str)>,
}

impl Guard {
    /// The guarded paths of a hook call: from the user's home and the configuration folders
    /// `env` names (`HOME`, `XDG_CONFIG_HOME`, and each client's own: `CODEX_HOME`,
    /// `GEMINI_CLI_HOME`, `COPILOT_HOME`, which move its settings out of the home), the
    /// executables (`exes`: this one and those on `PATH`), and the project `root`.
    pub fn new(env: &Env, exes: &[PathBuf], root: &Path) -> Guard {
        let mut roots: Vec<(PathBuf, &'static str)> = Vec::new();
        if let Some(home) = &env.home {
            for (rel, what) in [
                (".claude", "Claude Code's user settings"),
                (".claude.json", "Claude Code's user settings"),
                (".codex", "Codex's user configuration"),
                (".gemini", "Gemini CLI's user settings"),
                (".copilot", "Copilot CLI's user configuration"),
                (".gitconfig", "git's global configuration"),
                (".config/git", "git's global configuration"),
            ] {
                roots.push((home.join(rel), what));
            }
        }
        // A variable that moves a client's folder (or git's) moves its settings and hooks
        // there: (variable, the folder below it, what it is).
        for (moved, below, what) in [
            (&env.xdg_config_home, "git", "git's global configuration"),
            (&env.codex_home, "", "Codex's user configuration"),
            (
                &env.gemini_cli_home,
                ".gemini",
                "Gemini CLI's user settings",
            ),
            (&env.copilot_home, "", "Copilot CLI's user configuration"),
        ] {
            if let Some(dir) = moved {
                roots.push((dir.join(below), what));
            }
        }
        roots.push((
            PathBuf::from("/etc/gitconfig"),
            "git's system configuration",
        ));
        for exe in exes {
            roots.push((exe.clone(), "the lanes executable"));
        }
        if let Some(top) = repository_top(root) {
            roots.push((top.join(".git"), "the repository's git directory"));
            roots.push((top.join(".claude"), "the repository's Claude Code settings"));
        }
        // Compared with physical paths: resolve what exists (a home behind a symlink).
        let roots = roots
            .into_iter()
            .map(|(p, what)| (p.canonicalize().unwrap_or(p), what))
            .collect();
        Guard { roots }
    }

    /// Why `real` (absolute, physical, outside the project) is guarded, or `None`.
    pub fn reason(&self, real: &Path) -> Option<&'static str> {
        if real.file_name().is_some_and(crate::policy::is_policy_name) {
            return Some("a lanes policy file");
        }
        self.roots
            .iter()
            .find(|(root, _)| real.starts_with(root))
            .map(|(_, what)| *what)
    }
}

/// The top of the git work tree holding `root`, when it lies above `root` (a project in a
/// monorepo); found by the `.git` entry, without running git.
fn repository_top(root: &Path) -> Option<&Path> {
    root.ancestors()
        .skip(1)
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
}

/// Every `lanes` executable the hook registration could run: this one, and the first `lanes`
/// in each directory of `path` (the `PATH` variable), physical.
pub fn lanes_executables(this: Option<&Path>, path: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = this.into_iter().map(Path::to_path_buf).collect();
    if let Some(path) = path {
        for dir in std::env::split_paths(path) {
            let exe = dir.join("lanes");
            if exe.is_file() {
                out.push(exe.canonicalize().unwrap_or(exe));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_client_and_git_configuration_policy_files_and_executables() {
        let env = Env {
            home: Some("/h".into()),
            xdg_config_home: Some("/x".into()),
            ..Env::default()
        };
        let g = Guard::new(
            &env,
            &[PathBuf::from("/usr/local/bin/lanes")],
            Path::new("/nowhere/proj"),
        );
        for (p, want) in [
            (
                "/h/.claude/settings.json",
                Some("Claude Code's user settings"),
            ),
            ("/h/.claude.json", Some("Claude Code's user settings")),
            ("/h/.gitconfig", Some("git's global configuration")),
            ("/x/git/config", Some("git's global configuration")),
            ("/h/.codex/config.toml", Some("Codex's user configuration")),
            ("/usr/local/bin/lanes", Some("the lanes executable")),
            ("/tmp/anywhere/lanes.toml", Some("a lanes policy file")),
            ("/tmp/scratch.txt", None),
            ("/h/notes.md", None),
            ("/h/.claudeX", None),
        ] {
            assert_eq!(g.reason(Path::new(p)), want, "{p}");
        }
    }

    #[test]
    fn a_client_folder_moved_by_its_variable_is_guarded_where_it_moved() {
        let env = Env {
            home: Some("/h".into()),
            codex_home: Some("/c".into()),
            gemini_cli_home: Some("/g".into()),
            copilot_home: Some("/p".into()),
            ..Env::default()
        };
        let g = Guard::new(&env, &[], Path::new("/nowhere/proj"));
        for (p, want) in [
            ("/c/config.toml", Some("Codex's user configuration")),
            (
                "/g/.gemini/settings.json",
                Some("Gemini CLI's user settings"),
            ),
            ("/p/settings.json", Some("Copilot CLI's user configuration")),
            (
                "/p/hooks/lanes.json",
                Some("Copilot CLI's user configuration"),
            ),
            // Still guarded in the home: the variable may be unset in the client's own run.
            (
                "/h/.gemini/settings.json",
                Some("Gemini CLI's user settings"),
            ),
            ("/g/notes.md", None),
        ] {
            assert_eq!(g.reason(Path::new(p)), want, "{p}");
        }
    }
}
