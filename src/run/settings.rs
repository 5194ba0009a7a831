//! The Claude Code settings file of a role session (`claude --settings FILE`).
//!
//! What worked on the real CLI (2.1.330 and 2.1.332, Linux; sandbox-and-teams.md §1.1-1.5):
//!
//! - `sandbox.enabled`, `failIfUnavailable: true` (refuse to start without bwrap or socat
//!   rather than run unsandboxed) and `allowUnsandboxedCommands: false` (the model's
//!   `dangerouslyDisableSandbox: true` is then ignored);
//! - `sandbox.filesystem.denyWrite` with absolute paths (`/abs`); a relative path in a
//!   `--settings` file would be read against the file's folder, not the project;
//! - `permissions.deny` `Edit(//abs/path/**)` rules, which stop the Write and Edit tools
//!   (the sandbox covers Bash only) and feed the sandbox too;
//! - the lanes hook registration itself, so the session is hooked even where the project's
//!   `.claude/settings.json` is not read (it is read from the start folder only).
//!
//! A `--settings` file outranks the project's settings, which cannot weaken its sandbox.

use super::wall::Walls;
use crate::scaffold::settings as project_settings;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// What goes into the file.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The project root (absolute, canonical).
    pub root: &'a Path,
    /// The role's walls.
    pub walls: &'a Walls,
    /// The command the hook registration runs (`lanes`, or an absolute path).
    pub hook_command: &'a str,
    /// Ask for the sandbox (`false` with `--no-sandbox`: the `sandbox` key is left out, so a
    /// sandbox the user configured elsewhere still applies).
    pub sandbox: bool,
    /// Paths the sandbox must leave writable besides the start folder
    /// (`sandbox.filesystem.allowWrite`): git's folders of a linked worktree, so the role can
    /// commit; in the allow-list layout also the role's other lanes and the shared ones.
    pub allow_write: &'a [PathBuf],
    /// Folders Claude Code treats as working folders besides the start folder
    /// (`permissions.additionalDirectories`; the allow-list layout's other folder lanes).
    pub additional_dirs: &'a [PathBuf],
}

/// The settings as JSON: `sandbox` (unless turned off), `permissions.deny`,
/// `bashEditDiffEnabled` (issue 19: Bash edits shown as diffs) and `hooks`.
pub fn settings(input: &Input<'_>) -> Value {
    let abs = |rel: &Path| input.root.join(rel);
    let mut root = Map::new();
    if input.sandbox {
        let deny: Vec<String> = input
            .walls
            .denied
            .iter()
            .map(|d| abs(d.path.as_path()).to_string_lossy().into_owned())
            .collect();
        let mut filesystem = Map::new();
        filesystem.insert("denyWrite".into(), json!(deny));
        if !input.allow_write.is_empty() {
            let allow: Vec<String> = input
                .allow_write
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            filesystem.insert("allowWrite".into(), json!(allow));
        }
        root.insert(
            "sandbox".into(),
            json!({
                "enabled": true,
                "failIfUnavailable": true,
                "allowUnsandboxedCommands": false,
                "filesystem": filesystem,
            }),
        );
    }
    let rules: Vec<String> = input
        .walls
        .denied
        .iter()
        .map(|d| edit_rule(&abs(d.path.as_path()), d.dir))
        .collect();
    let mut permissions = Map::new();
    permissions.insert("deny".into(), json!(rules));
    if !input.additional_dirs.is_empty() {
        let dirs: Vec<String> = input
            .additional_dirs
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        permissions.insert("additionalDirectories".into(), json!(dirs));
    }
    root.insert("permissions".into(), Value::Object(permissions));
    root.insert("bashEditDiffEnabled".into(), Value::Bool(true));
    root.insert("hooks".into(), project_settings::hooks(input.hook_command));
    Value::Object(root)
}

/// The settings file's text: pretty JSON and a final newline.
pub fn render(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// `Edit(//abs/path/**)` for a folder, `Edit(//abs/path)` for a file: a permission rule path
/// starting with `//` is absolute (one `/` would be relative to the settings file).
fn edit_rule(abs: &Path, dir: bool) -> String {
    let text = abs.to_string_lossy();
    let text = text.trim_start_matches('/');
    match dir {
        true => format!("Edit(//{text}/**)"),
        false => format!("Edit(//{text})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_rules_are_absolute() {
        assert_eq!(
            edit_rule(Path::new("/p/research"), true),
            "Edit(//p/research/**)"
        );
        assert_eq!(
            edit_rule(Path::new("/p/my docs/a b.md"), false),
            "Edit(//p/my docs/a b.md)"
        );
    }
}
