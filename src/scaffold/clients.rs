//! The lanes hook in the project configuration of Codex, Copilot CLI and Gemini CLI (Claude
//! Code's is [`super::settings`]).
//!
//! Files and shapes (`shared/reference/other-clients.md` §1, §6):
//! - Codex: `.codex/hooks.json`, `{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":
//!   "command","command":CMD,"timeout":S}]}]}}` (timeout in seconds).
//! - Copilot CLI: `.github/hooks/lanes.json`, `{"version":1,"hooks":{"PreToolUse":[{"type":
//!   "command","bash":CMD,"timeoutSec":S}]}}`: handlers straight in the event's list; the
//!   PascalCase event, which gets Claude-like payloads and honours Claude's deny.
//! - Gemini CLI: `.gemini/settings.json`, `{"hooks":{"BeforeTool":[{"matcher":".*","hooks":
//!   [{"type":"command","command":CMD,"timeout":MS}]}]}}` (timeout in milliseconds).
//!
//! Every command is a shell string `CMD hook --client NAME`. [`merge`] keeps every other key
//! and hook in place and comes back byte for byte when nothing changes; [`remove`] takes
//! lanes' handlers out again, and the file too when nothing else is left in it.

use super::settings::{self, SettingsError};
use crate::client::ClientName;
use serde_json::{json, Value};

/// How long the client waits for the hook, in seconds: far above lanes' own 900 ms deadline,
/// which blocks first; Codex and Gemini let a timed-out call through (§3).
pub const TIMEOUT_SECS: u64 = 10;

/// Where a client reads the project's hooks, relative to the project root.
pub fn file(client: ClientName) -> &'static str {
    match client {
        ClientName::Claude => super::SETTINGS,
        ClientName::Codex => ".codex/hooks.json",
        ClientName::Copilot => ".github/hooks/lanes.json",
        ClientName::Gemini => ".gemini/settings.json",
    }
}

/// The event lanes registers on.
fn event(client: ClientName) -> &'static str {
    match client {
        ClientName::Gemini => "BeforeTool",
        _ => "PreToolUse",
    }
}

/// The field of a handler that holds its command.
fn command_field(client: ClientName) -> &'static str {
    match client {
        ClientName::Copilot => "bash",
        _ => "command",
    }
}

/// The shell command that runs `lanes hook --client NAME`; `lanes` is quoted when it needs to
/// be (a path with spaces).
pub fn hook_line(lanes: &str, client: ClientName) -> String {
    let plain = lanes
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c));
    let lanes = if plain {
        lanes.to_string()
    } else {
        format!("'{}'", lanes.replace('\'', r"'\''"))
    };
    format!("{lanes} hook --client {client}")
}

/// The handler (Copilot) or matcher group (Codex, Gemini) lanes registers.
fn entry(client: ClientName, line: &str) -> Value {
    match client {
        ClientName::Copilot => {
            json!({ "type": "command", "bash": line, "timeoutSec": TIMEOUT_SECS })
        }
        ClientName::Gemini => json!({
            "matcher": ".*",
            "hooks": [ { "type": "command", "command": line, "timeout": TIMEOUT_SECS * 1000 } ]
        }),
        _ => json!({
            "matcher": "*",
            "hooks": [ { "type": "command", "command": line, "timeout": TIMEOUT_SECS } ]
        }),
    }
}

/// True for a handler that runs `lanes hook` (any directory, any arguments after `hook`).
pub fn is_lanes_handler(client: ClientName, handler: &Value) -> bool {
    handler
        .get(command_field(client))
        .and_then(Value::as_str)
        .is_some_and(|c| settings::is_lanes_handler(&json!({ "command": c })))
}

/// The lanes command registered in `text`, if any.
pub fn registered(client: ClientName, text: &str) -> Option<String> {
    let root: Value = serde_json::from_str(text).ok()?;
    let list = root.get("hooks")?.get(event(client))?.as_array()?;
    let found = handlers(client, list)
        .find(|h| is_lanes_handler(client, h))
        .and_then(|h| h.get(command_field(client))?.as_str().map(String::from));
    found
}

/// Every handler in an event's list.
fn handlers(client: ClientName, list: &[Value]) -> impl Iterator<Item = &Value> {
    list.iter().flat_map(move |item| match client {
        ClientName::Copilot => std::slice::from_ref(item).iter(),
        _ => item
            .get("hooks")
            .and_then(Value::as_array)
            .map_or([].iter(), |a| a.iter()),
    })
}

/// `existing` (`None`: no file) with lanes' entry for the command line `line` in place: it
/// replaces the first entry that held a lanes handler, or is appended.
pub fn merge(
    client: ClientName,
    existing: Option<&str>,
    line: &str,
) -> Result<String, SettingsError> {
    let mut new_file = json!({});
    if client == ClientName::Copilot {
        new_file["version"] = json!(1);
    }
    let original = match existing {
        Some(text) => settings::parse(text)?,
        None => new_file,
    };
    let mut root = original.clone();
    let list = event_list(&mut root, client)?;
    let at = strip(client, list);
    list.insert(at.unwrap_or(list.len()), entry(client, line));
    Ok(match existing {
        Some(text) if root == original => text.to_string(),
        Some(text) => settings::render(text, &root),
        None => format!("{}\n", settings::pretty(&root, b"  ")),
    })
}

/// `existing` without lanes' handlers; `Ok(None)` when nothing else is left in the file.
pub fn remove(client: ClientName, existing: &str) -> Result<Option<String>, SettingsError> {
    let original = settings::parse(existing)?;
    let mut root = original.clone();
    let Some(Value::Array(list)) = root.pointer_mut(&format!("/hooks/{}", event(client))) else {
        return Ok(Some(existing.to_string()));
    };
    if strip(client, list).is_none() {
        return Ok(Some(existing.to_string()));
    }
    let emptied = list.is_empty();
    let obj = root.as_object_mut().expect("it held hooks");
    if emptied {
        if let Some(Value::Object(hooks)) = obj.get_mut("hooks") {
            hooks.shift_remove(event(client));
            if hooks.is_empty() {
                obj.shift_remove("hooks");
            }
        }
    }
    // Copilot's file is lanes' own: `version` alone is nothing left.
    let rest = obj
        .keys()
        .filter(|k| !(client == ClientName::Copilot && *k == "version"));
    if rest.count() == 0 {
        return Ok(None);
    }
    Ok(Some(settings::render(existing, &root)))
}

/// `hooks.<event>` as a list, made when missing.
fn event_list(root: &mut Value, client: ClientName) -> Result<&mut Vec<Value>, SettingsError> {
    settings::event_list(root, event(client))
}

/// Removes lanes' handlers (and groups left empty); the index of the first entry that held
/// one. Copilot's list holds the handlers themselves, the others' hold groups of them.
fn strip(client: ClientName, list: &mut Vec<Value>) -> Option<usize> {
    let ours = |h: &Value| is_lanes_handler(client, h);
    match client {
        ClientName::Copilot => {
            let first = list.iter().position(ours);
            list.retain(|h| !ours(h));
            first
        }
        _ => settings::strip_groups(list, ours),
    }
}

/// What the user must do once so the client runs the hook, for the init summary; `None`
/// when nothing is needed.
pub fn trust_step(client: ClientName, root: &std::path::Path) -> Option<String> {
    let root = root.display();
    match client {
        ClientName::Claude => None,
        ClientName::Codex => Some(format!(
            "Codex skips hooks nobody has trusted, silently: start `codex` in {root}, trust the project, then \
             open /hooks and trust the lanes hook (Codex stores its hash in ~/.codex/config.toml; trust it again \
             whenever .codex/hooks.json changes). `lanes status` tells whether it will run."
        )),
        ClientName::Copilot => Some(format!(
            "Copilot CLI reads .github/hooks/ only in a folder you trusted: start `copilot` in {root} and trust \
             the folder (or pass --trust-folder)."
        )),
        ClientName::Gemini => Some(format!(
            "Gemini CLI runs project hooks only in a trusted folder: start `gemini` in {root} and trust it; the \
             first run announces the lanes hook once. Gemini sends no agent identity: start it with \
             LANES_ROLE=<role>, or give roles `branches`."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENTS: [ClientName; 3] = [ClientName::Codex, ClientName::Copilot, ClientName::Gemini];

    #[test]
    fn a_new_file_holds_the_entry_each_client_reads() {
        let codex: Value = serde_json::from_str(
            &merge(ClientName::Codex, None, "lanes hook --client codex").unwrap(),
        )
        .unwrap();
        assert_eq!(
            codex,
            json!({"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"lanes hook --client codex","timeout":10}]}]}})
        );
        let copilot: Value = serde_json::from_str(
            &merge(ClientName::Copilot, None, "x hook --client copilot").unwrap(),
        )
        .unwrap();
        assert_eq!(
            copilot,
            json!({"version":1,"hooks":{"PreToolUse":[{"type":"command","bash":"x hook --client copilot","timeoutSec":10}]}})
        );
        let gemini: Value = serde_json::from_str(
            &merge(ClientName::Gemini, None, "lanes hook --client gemini").unwrap(),
        )
        .unwrap();
        assert_eq!(
            gemini["hooks"]["BeforeTool"][0]["hooks"][0]["timeout"],
            10000
        );
    }

    #[test]
    fn merging_keeps_everything_else_and_a_second_run_changes_nothing() {
        let gemini = "{\n    \"security\": {\"folderTrust\": {\"enabled\": true}},\n    \"hooks\": {\"BeforeTool\": [{\"matcher\": \"write_file\", \"hooks\": [{\"type\": \"command\", \"command\": \"fmt.sh\"}]}]}\n}\n";
        let once = merge(
            ClientName::Gemini,
            Some(gemini),
            "lanes hook --client gemini",
        )
        .unwrap();
        assert!(once.starts_with("{\n    \"security\""), "{once}");
        assert!(once.contains("fmt.sh"));
        assert_eq!(
            merge(
                ClientName::Gemini,
                Some(&once),
                "lanes hook --client gemini"
            )
            .unwrap(),
            once
        );
        // A moved executable replaces the old entry in place.
        let moved = merge(
            ClientName::Gemini,
            Some(&once),
            "/opt/lanes hook --client gemini",
        )
        .unwrap();
        assert_eq!(moved.matches("hook --client gemini").count(), 1);
        assert_eq!(
            remove(ClientName::Gemini, &moved).unwrap().unwrap(),
            settings::render(gemini, &serde_json::from_str(gemini).unwrap())
        );
    }

    #[test]
    fn removing_the_only_entry_removes_the_file_and_others_stay() {
        for c in CLIENTS {
            let line = hook_line("lanes", c);
            let text = merge(c, None, &line).unwrap();
            assert_eq!(registered(c, &text).as_deref(), Some(line.as_str()));
            assert_eq!(remove(c, &text).unwrap(), None, "{c}");
        }
        let other =
            r#"{"version":1,"hooks":{"PreToolUse":[{"type":"command","bash":"audit.sh"}]}}"#;
        let both = merge(
            ClientName::Copilot,
            Some(other),
            "lanes hook --client copilot",
        )
        .unwrap();
        let back: Value =
            serde_json::from_str(&remove(ClientName::Copilot, &both).unwrap().unwrap()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(other).unwrap());
        assert!(merge(ClientName::Codex, Some("{\"hooks\": 3}"), "x").is_err());
        assert!(merge(ClientName::Codex, Some("{"), "x")
            .unwrap_err()
            .position
            .is_some());
    }

    #[test]
    fn paths_with_spaces_are_quoted() {
        assert_eq!(
            hook_line("/a b/lanes", ClientName::Codex),
            "'/a b/lanes' hook --client codex"
        );
        assert_eq!(
            hook_line("/usr/bin/lanes", ClientName::Gemini),
            "/usr/bin/lanes hook --client gemini"
        );
    }
}
