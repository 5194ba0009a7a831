//! Whether a client will run the lanes hook registered in its project configuration, for
//! `lanes status`. Codex and Gemini CLI skip project hooks nobody trusted, and a skipped hook
//! lets every call through (`shared/reference/other-clients.md` §4):
//!
//! - Codex loads `<project>/.codex/` only for a trusted project (`[projects."<path>"]
//!   trust_level = "trusted"` in `$CODEX_HOME/config.toml`), and runs a non-managed hook only
//!   once its hash is trusted (`[hooks.state."<file>:pre_tool_use:<group>:<handler>"]
//!   trusted_hash`, written by `/hooks`), silently skipping it otherwise. The hash is Codex's
//!   own: lanes can see that one was stored, not that it still matches the file.
//! - Gemini CLI reads project settings, hooks included, only in a trusted folder (observed:
//!   with `--skip-trust` the tool ran unhooked) while folder trust is on (the default):
//!   `~/.gemini/trustedFolders.json` maps paths to `TRUST_FOLDER`, `TRUST_PARENT` or
//!   `DO_NOT_TRUST`. `hooksConfig.enabled = false` or a `hooksConfig.disabled` entry turns the
//!   hook off.
//! - Copilot CLI reads `.github/hooks/` in folders the user trusted; where it keeps that
//!   was not verified, so lanes only says so.

use super::ClientName;
use crate::env::Env;
use crate::scaffold::clients;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A lanes hook registered for another client.
#[derive(Debug, Clone, Serialize)]
pub struct ClientHook {
    /// `codex`, `copilot`, `gemini`.
    pub client: &'static str,
    /// The project file that registers it.
    pub file: PathBuf,
    /// The registered command.
    pub command: String,
    /// `Some(false)`: it will not run; `Some(true)`: it will; `None`: lanes cannot tell.
    pub runs: Option<bool>,
    /// For people: why.
    pub detail: String,
}

/// The registrations in the project at `root`, with what the user's configuration says of
/// them.
pub fn check(root: &Path, env: &Env) -> Vec<ClientHook> {
    let mut out = Vec::new();
    for client in [ClientName::Codex, ClientName::Copilot, ClientName::Gemini] {
        let file = root.join(clients::file(client));
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Some(command) = clients::registered(client, &text) else {
            continue;
        };
        let (runs, detail) = match client {
            ClientName::Codex => codex(root, &file, env),
            ClientName::Gemini => gemini(root, &command, env),
            _ => (
                None,
                "Copilot CLI runs it in a folder you trusted (it asks on first start, or pass --trust-folder)"
                    .to_string(),
            ),
        };
        out.push(ClientHook {
            client: client.as_str(),
            file,
            command,
            runs,
            detail,
        });
    }
    out
}

fn codex(root: &Path, hooks_json: &Path, env: &Env) -> (Option<bool>, String) {
    let dir = env
        .codex_home
        .clone()
        .or_else(|| env.home.as_ref().map(|h| h.join(".codex")));
    let Some(dir) = dir else {
        return (
            None,
            "no HOME or CODEX_HOME to read Codex's trust from".into(),
        );
    };
    let config = dir.join("config.toml");
    let table: toml::Table = match std::fs::read_to_string(&config) {
        Ok(t) => match toml::from_str(&t) {
            Ok(v) => v,
            Err(e) => return (None, format!("{} does not parse: {e}", config.display())),
        },
        Err(_) => toml::Table::new(),
    };
    let trusted_project = root.ancestors().any(|a| {
        table
            .get("projects")
            .and_then(|p| p.get(a.to_string_lossy().as_ref()))
            .and_then(|p| p.get("trust_level"))
            .and_then(|t| t.as_str())
            == Some("trusted")
    });
    if !trusted_project {
        return (
            Some(false),
            format!(
                "Codex ignores {} because the project is not trusted in {} (start codex here and trust it)",
                clients::file(ClientName::Codex),
                config.display()
            ),
        );
    }
    let prefix = format!("{}:pre_tool_use:", hooks_json.display());
    let state = table
        .get("hooks")
        .and_then(|h| h.get("state"))
        .and_then(|s| s.as_table());
    let ours: Vec<&toml::Value> = state
        .map(|s| {
            s.iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .map(|(_, v)| v)
                .collect()
        })
        .unwrap_or_default();
    if ours
        .iter()
        .any(|v| v.get("enabled").and_then(|e| e.as_bool()) == Some(false))
    {
        return (
            Some(false),
            "the lanes hook is disabled in Codex (/hooks)".into(),
        );
    }
    if !ours.iter().any(|v| v.get("trusted_hash").is_some()) {
        return (
            Some(false),
            format!(
                "Codex skips the lanes hook silently until you trust it: start codex here and trust it in /hooks \
                 (no trusted hash for {} in {})",
                hooks_json.display(),
                config.display()
            ),
        );
    }
    (
        Some(true),
        "trusted in Codex (if .codex/hooks.json changed since, Codex asks again in /hooks)".into(),
    )
}

fn gemini(root: &Path, command: &str, env: &Env) -> (Option<bool>, String) {
    let home = env.gemini_cli_home.as_ref().or(env.home.as_ref());
    let Some(dir) = home.map(|h| h.join(".gemini")) else {
        return (
            None,
            "no HOME or GEMINI_CLI_HOME to read Gemini's trust from".into(),
        );
    };
    let json = |p: &Path| -> Value {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null)
    };
    let user = json(&dir.join("settings.json"));
    let project = json(&root.join(clients::file(ClientName::Gemini)));
    for (label, s) in [
        ("~/.gemini/settings.json", &user),
        (".gemini/settings.json", &project),
    ] {
        if s.pointer("/hooksConfig/enabled") == Some(&Value::Bool(false)) {
            return (
                Some(false),
                format!("{label} sets hooksConfig.enabled = false"),
            );
        }
        let disabled = s.pointer("/hooksConfig/disabled").and_then(Value::as_array);
        if disabled.is_some_and(|d| d.iter().any(|x| x.as_str() == Some(command))) {
            return (
                Some(false),
                format!("{label} lists the lanes hook in hooksConfig.disabled"),
            );
        }
    }
    if user.pointer("/security/folderTrust/enabled") == Some(&Value::Bool(false)) {
        return (
            Some(true),
            "folder trust is off in ~/.gemini/settings.json".into(),
        );
    }
    let folders = json(&dir.join("trustedFolders.json"));
    match folder_trust(root, &folders) {
        Some(true) => (Some(true), "the folder is trusted in ~/.gemini/trustedFolders.json".into()),
        _ => (
            Some(false),
            "Gemini skips project hooks in an untrusted folder: start gemini here and trust the folder \
             (~/.gemini/trustedFolders.json)"
                .into(),
        ),
    }
}

/// Gemini's verdict for `root` from `trustedFolders.json`: the rule with the longest path
/// that contains it (`TRUST_PARENT` trusts the named path's parent).
fn folder_trust(root: &Path, rules: &Value) -> Option<bool> {
    let rules = rules.as_object()?;
    let mut best: Option<(usize, bool)> = None;
    for (path, level) in rules {
        let path = Path::new(path);
        let (dir, trusted) = match level.as_str()? {
            "TRUST_FOLDER" => (path, true),
            "TRUST_PARENT" => (path.parent().unwrap_or(path), true),
            "DO_NOT_TRUST" => (path, false),
            _ => continue,
        };
        let len = dir.as_os_str().len();
        if root.starts_with(dir) && best.is_none_or(|(l, _)| len > l) {
            best = Some((len, trusted));
        }
    }
    best.map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(home: &Path) -> Env {
        Env {
            home: Some(home.to_path_buf()),
            ..Env::default()
        }
    }

    fn project(client: ClientName) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("p");
        let file = root.join(clients::file(client));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let text = clients::merge(client, None, &clients::hook_line("lanes", client)).unwrap();
        std::fs::write(&file, text).unwrap();
        (dir, root)
    }

    #[test]
    fn codex_needs_a_trusted_project_and_a_trusted_hook() {
        let (dir, root) = project(ClientName::Codex);
        let home = dir.path().join("h");
        let cfg = home.join(".codex/config.toml");
        std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
        let runs = || check(&root, &env(&home))[0].runs;
        assert_eq!(runs(), Some(false));
        let trusted = format!(
            "[projects.{:?}]\ntrust_level = \"trusted\"\n",
            root.display().to_string()
        );
        std::fs::write(&cfg, &trusted).unwrap();
        assert_eq!(runs(), Some(false), "the hook itself is not trusted yet");
        let key = format!(
            "{}:pre_tool_use:0:0",
            root.join(".codex/hooks.json").display()
        );
        std::fs::write(
            &cfg,
            format!("{trusted}[hooks.state.{key:?}]\ntrusted_hash = \"sha256:x\"\n"),
        )
        .unwrap();
        assert_eq!(runs(), Some(true));
    }

    #[test]
    fn gemini_needs_a_trusted_folder_unless_folder_trust_is_off() {
        let (dir, root) = project(ClientName::Gemini);
        let home = dir.path().join("h");
        std::fs::create_dir_all(home.join(".gemini")).unwrap();
        let runs = || check(&root, &env(&home))[0].runs;
        assert_eq!(runs(), Some(false));
        let folders = home.join(".gemini/trustedFolders.json");
        std::fs::write(
            &folders,
            json!({ dir.path().to_str().unwrap(): "TRUST_FOLDER" }).to_string(),
        )
        .unwrap();
        assert_eq!(runs(), Some(true));
        let rules = json!({ dir.path().to_str().unwrap(): "TRUST_FOLDER", root.to_str().unwrap(): "DO_NOT_TRUST" });
        std::fs::write(&folders, rules.to_string()).unwrap();
        assert_eq!(runs(), Some(false));
        std::fs::write(
            home.join(".gemini/settings.json"),
            r#"{"security":{"folderTrust":{"enabled":false}}}"#,
        )
        .unwrap();
        assert_eq!(runs(), Some(true));
        std::fs::write(
            home.join(".gemini/settings.json"),
            r#"{"hooksConfig":{"enabled":false}}"#,
        )
        .unwrap();
        assert_eq!(runs(), Some(false));
    }

    #[test]
    fn nothing_is_reported_without_a_registration() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check(dir.path(), &env(dir.path())).is_empty());
    }
}
