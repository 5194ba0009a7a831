//! The lanes entries in `.claude/settings.json`: a PreToolUse group that runs `lanes hook`
//! (the enforcement), and groups for PostToolUse, PostToolUseFailure and UserPromptSubmit
//! (the evidence: what shell commands changed, judged after the run, and the session's task;
//! see `crate::evidence`).
//!
//! [`merge`] adds the entry or updates the one already there, and keeps every other key and
//! every other hook in its place (serde_json's `preserve_order` keeps key order; the file's
//! indentation is reused). [`remove`] takes the entry out again. A file that is not valid
//! JSON is an error naming its line and column; nothing is rewritten.

use serde::Serialize;
use serde_json::{json, Map, Value};
use std::fmt;

/// The tools lanes judges, as a Claude Code matcher. Anchored, because a regex matcher is
/// unanchored (`Write` alone would also match `TodoWrite`; hooks fact sheet §1.3). `Task` is
/// the older name of `Agent`; `Monitor` runs a shell command as `Bash` does; `PowerShell`
/// runs one lanes judges as an opaque program; `mcp__.*` covers every MCP tool (the
/// policy's `[mcp_tools]` says which of them write).
pub const MATCHER: &str =
    "^(Write|Edit|MultiEdit|NotebookEdit|Bash|Monitor|PowerShell|Agent|Task|mcp__.*)$";

/// The tools whose PostToolUse and PostToolUseFailure `lanes hook` reads: the shell tools,
/// whose writes the PreToolUse hook may not see (only Bash carries the client's diff).
pub const AFTER_MATCHER: &str = "^(Bash|Monitor|PowerShell)$";

/// The hook events lanes registers, in the order written, with their matcher (`None`: the
/// event takes none; hooks reference §1.3).
pub const EVENTS: &[(&str, Option<&str>)] = &[
    ("PreToolUse", Some(MATCHER)),
    ("PostToolUse", Some(AFTER_MATCHER)),
    ("PostToolUseFailure", Some(AFTER_MATCHER)),
    ("UserPromptSubmit", None),
];

/// The handler's `timeout` in seconds. lanes blocks on its own deadline (900 ms) long before;
/// this only bounds how long a wedged process (which Claude Code would then let through)
/// holds up the session.
pub const TIMEOUT_SECS: u64 = 30;

/// The settings file cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// 1-based line and column of a JSON syntax error.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((line, column)) = self.position {
            write!(f, "{line}:{column}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The PreToolUse group lanes registers: `command` in exec form with `args: ["hook"]`, so no
/// shell is involved, and a [`TIMEOUT_SECS`] timeout.
pub fn entry(command: &str) -> Value {
    entry_for(Some(MATCHER), command)
}

/// The group lanes registers for an event with `matcher` (none for UserPromptSubmit).
fn entry_for(matcher: Option<&str>, command: &str) -> Value {
    let handlers = json!([ { "type": "command", "command": command, "args": ["hook"], "timeout": TIMEOUT_SECS } ]);
    match matcher {
        Some(m) => json!({ "matcher": m, "hooks": handlers }),
        None => json!({ "hooks": handlers }),
    }
}

/// Every hook registration lanes makes, as Claude Code's `hooks` object: event name -> groups,
/// one group per event of [`EVENTS`]. `lanes init` writes these into `.claude/settings.json`
/// and `lanes run` into the settings file of a role session, so a new registration is added
/// here, once.
pub fn hooks(command: &str) -> Value {
    let mut map = Map::new();
    for (event, matcher) in EVENTS {
        map.insert(event.to_string(), json!([entry_for(*matcher, command)]));
    }
    Value::Object(map)
}

/// True for a handler that runs `lanes hook`: exec form (`command` named `lanes` or
/// `lanes.exe`, any directory, with `args` starting `hook`) or shell form
/// (`.../lanes hook ...`).
pub fn is_lanes_handler(handler: &Value) -> bool {
    let Some(command) = handler.get("command").and_then(Value::as_str) else {
        return false;
    };
    let is_lanes = |word: &str| {
        let word = word.trim_matches(|c| c == '"' || c == '\'');
        let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
        base == "lanes" || base == "lanes.exe"
    };
    match handler.get("args").and_then(Value::as_array) {
        Some(args) => is_lanes(command) && args.first().and_then(Value::as_str) == Some("hook"),
        None => {
            // Shell form: the first word may be quoted (a path with spaces).
            let command = command.trim_start();
            let (first, rest) = match command.chars().next() {
                Some(q @ ('"' | '\'')) => match command[1..].find(q) {
                    Some(end) => (&command[1..end + 1], &command[end + 2..]),
                    None => return false,
                },
                _ => command
                    .split_once(char::is_whitespace)
                    .unwrap_or((command, "")),
            };
            is_lanes(first) && rest.split_whitespace().next() == Some("hook")
        }
    }
}

/// The `command` of the registered lanes handler, if any (for reports).
pub fn registered_command(text: &str) -> Option<String> {
    let root: Value = serde_json::from_str(text).ok()?;
    let groups = root.get("hooks")?.get("PreToolUse")?.as_array()?;
    groups
        .iter()
        .filter_map(|g| g.get("hooks").and_then(Value::as_array))
        .flatten()
        .find(|h| is_lanes_handler(h))
        .and_then(|h| h.get("command").and_then(Value::as_str).map(str::to_string))
}

/// True when the settings turn every hook off (`disableAllHooks: true`), which would switch
/// lanes off too.
pub fn hooks_disabled(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .is_ok_and(|v| v.get("disableAllHooks") == Some(&Value::Bool(true)))
}

/// `existing` (the file's text; `None` when there is none) with the lanes entries for
/// `command` in place, one per event of [`EVENTS`]. Each replaces the first group of its
/// event that held a lanes handler (other handlers of a shared group stay there), or is
/// appended to `hooks.EVENT`. When nothing changes, `existing` comes back byte for byte.
pub fn merge(existing: Option<&str>, command: &str) -> Result<String, SettingsError> {
    let Some(text) = existing else {
        let root = json!({ "hooks": hooks(command) });
        return Ok(format!("{}\n", pretty(&root, b"  ")));
    };
    let original = parse(text)?;
    let mut root = original.clone();
    for (event, matcher) in EVENTS {
        let groups = event_list(&mut root, event)?;
        let at = strip_lanes(groups, Some(command));
        groups.insert(at.unwrap_or(groups.len()), entry_for(*matcher, command));
    }
    Ok(if root == original {
        text.to_string()
    } else {
        render(text, &root)
    })
}

/// `existing` without the lanes handlers of every event of [`EVENTS`]. Groups, event lists
/// and `hooks` that only lanes filled are removed too. `Ok(None)` when the file is left as `{}` (it can go).
pub fn remove(existing: &str) -> Result<Option<String>, SettingsError> {
    let original = parse(existing)?;
    let mut root = original.clone();
    let Some(obj) = root.as_object_mut() else {
        return Ok(Some(existing.to_string()));
    };
    let Some(Value::Object(hooks)) = obj.get_mut("hooks") else {
        return Ok(Some(existing.to_string()));
    };
    let mut removed = false;
    for (event, _) in EVENTS {
        let Some(Value::Array(groups)) = hooks.get_mut(*event) else {
            continue;
        };
        if strip_lanes(groups, None).is_none() {
            continue;
        }
        removed = true;
        if groups.is_empty() {
            hooks.shift_remove(*event);
        }
    }
    if !removed {
        return Ok(Some(existing.to_string()));
    }
    if hooks.is_empty() {
        obj.shift_remove("hooks");
    }
    if obj.is_empty() {
        return Ok(None);
    }
    Ok(Some(render(existing, &root)))
}

/// Removes every lanes handler from `groups` (and, with `command`, any exec-form handler
/// running `command hook`, such as a wrapper given to `--hook-command`), and every group
/// left empty by that. Returns the index (after removal) of the first group that held one.
fn strip_lanes(groups: &mut Vec<Value>, command: Option<&str>) -> Option<usize> {
    strip_groups(groups, |h| {
        is_lanes_handler(h)
            || command.is_some_and(|c| {
                h.get("command").and_then(Value::as_str) == Some(c)
                    && h.get("args").and_then(|a| a.get(0)).and_then(Value::as_str) == Some("hook")
            })
    })
}

/// `hooks.<event>` of the settings object `root` as a list, made (with `hooks`) when missing;
/// the one reading of that shape for Claude Code's file and the other clients' (see
/// [`super::clients`]).
///
/// Errors: the top level, `hooks` or the event's entry has another JSON type.
pub(crate) fn event_list<'a>(
    root: &'a mut Value,
    event: &str,
) -> Result<&'a mut Vec<Value>, SettingsError> {
    root.as_object_mut()
        .ok_or_else(|| shape("the top level is not a JSON object"))?
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| shape("`hooks` is not a JSON object"))?
        .entry(event)
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or_else(|| shape(&format!("`hooks.{event}` is not a JSON array")))
}

/// Removes the handlers `ours` picks from each group's `hooks` list of `groups`, and every
/// group left empty by that (a group that was empty already stays). Returns the index
/// (after removal) of the first group that held one.
pub(crate) fn strip_groups(
    groups: &mut Vec<Value>,
    ours: impl Fn(&Value) -> bool,
) -> Option<usize> {
    let mut first = None;
    let mut i = 0;
    while i < groups.len() {
        let mut emptied = false;
        if let Some(Value::Array(handlers)) = groups[i].get_mut("hooks") {
            let before = handlers.len();
            handlers.retain(|h| !ours(h));
            if handlers.len() != before {
                first.get_or_insert(i);
                emptied = handlers.is_empty();
            }
        }
        if emptied {
            groups.remove(i);
        } else {
            i += 1;
        }
    }
    first
}

pub(crate) fn parse(text: &str) -> Result<Value, SettingsError> {
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        SettingsError {
            position: Some((e.line(), e.column())),
            message: format!("not valid JSON: {message}"),
        }
    })
}

pub(crate) fn shape(message: &str) -> SettingsError {
    SettingsError {
        position: None,
        message: message.to_string(),
    }
}

/// `value` printed with the indentation of `original`, ending in a newline when it did.
pub(crate) fn render(original: &str, value: &Value) -> String {
    let indent = original
        .lines()
        .skip(1)
        .map(|l| &l[..l.len() - l.trim_start().len()])
        .find(|ws| !ws.is_empty())
        .unwrap_or("  ");
    let mut out = pretty(value, indent.as_bytes());
    if original.ends_with('\n') || original.is_empty() {
        out.push('\n');
    }
    out
}

pub(crate) fn pretty(value: &Value, indent: &[u8]) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        serde_json::ser::PrettyFormatter::with_indent(indent),
    );
    value
        .serialize(&mut ser)
        .expect("a JSON value always serializes");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_snippet_is_what_init_writes() {
        let shipped: Value =
            serde_json::from_str(include_str!("../../hooks/claude-settings.json")).unwrap();
        let written: Value = serde_json::from_str(&merge(None, "lanes").unwrap()).unwrap();
        assert_eq!(
            shipped, written,
            "hooks/claude-settings.json drifted from lanes init"
        );
    }

    use super::*;

    const OTHERS: &str = r#"{
    "permissions": { "allow": ["Bash(npm test)"], "zeta": 1, "alpha": 2 },
    "model": "opus",
    "hooks": {
        "PostToolUse": [ { "matcher": "Write", "hooks": [ { "type": "command", "command": "prettier" } ] } ],
        "PreToolUse": [
            { "matcher": "Bash", "hooks": [ { "type": "command", "command": "guard.sh", "timeout": 5 } ] }
        ]
    },
    "unknownFutureKey": { "b": [], "a": null }
}
"#;

    fn groups(text: &str) -> Vec<Value> {
        serde_json::from_str::<Value>(text).unwrap()["hooks"]["PreToolUse"]
            .as_array()
            .unwrap()
            .clone()
    }

    #[test]
    fn new_file_holds_only_the_entries_in_exec_form() {
        let out = merge(None, "lanes").unwrap();
        assert!(
            out.starts_with("{\n  \"hooks\": {\n    \"PreToolUse\": [\n      {\n        \"matcher\": \"^(Write|Edit|MultiEdit|NotebookEdit|Bash|Monitor|PowerShell|Agent|Task|mcp__.*)$\",\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"lanes\",\n            \"args\": [\n              \"hook\"\n            ],\n            \"timeout\": 30\n          }\n        ]\n      }\n    ],\n    \"PostToolUse\": [\n      {\n        \"matcher\": \"^(Bash|Monitor|PowerShell)$\","),
            "{out}"
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        let events: Vec<&String> = v["hooks"].as_object().unwrap().keys().collect();
        assert_eq!(
            events,
            [
                "PreToolUse",
                "PostToolUse",
                "PostToolUseFailure",
                "UserPromptSubmit"
            ]
        );
        assert_eq!(
            v["hooks"]["PostToolUseFailure"][0]["matcher"],
            AFTER_MATCHER
        );
        assert_eq!(v["hooks"]["UserPromptSubmit"][0].get("matcher"), None);
        assert_eq!(
            v["hooks"]["UserPromptSubmit"][0]["hooks"][0]["args"],
            json!(["hook"])
        );
        assert_eq!(merge(Some(&out), "lanes").unwrap(), out, "idempotent");
    }

    #[test]
    fn merge_keeps_unknown_keys_their_order_other_hooks_and_indentation() {
        let out = merge(Some(OTHERS), "/opt/bin/lanes").unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["permissions", "model", "hooks", "unknownFutureKey"]);
        let perm_keys: Vec<&String> = v["permissions"].as_object().unwrap().keys().collect();
        assert_eq!(perm_keys, ["allow", "zeta", "alpha"]);
        assert_eq!(
            v["hooks"]["PostToolUse"][0]["hooks"][0]["command"],
            "prettier"
        );
        let g = groups(&out);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0]["hooks"][0]["command"], "guard.sh");
        assert_eq!(g[1], entry("/opt/bin/lanes"));
        assert!(
            out.contains("\n    \"permissions\""),
            "4-space indentation kept:\n{out}"
        );
        assert_eq!(
            merge(Some(&out), "/opt/bin/lanes").unwrap(),
            out,
            "idempotent"
        );
    }

    #[test]
    fn an_existing_lanes_entry_is_updated_in_place_not_duplicated() {
        let old = r#"{"hooks":{"PreToolUse":[
            {"matcher":"Write|Edit","hooks":[{"type":"command","command":"lanes hook"}]},
            {"matcher":"Bash","hooks":[{"type":"command","command":"guard.sh"}]},
            {"matcher":"Write","hooks":[{"type":"command","command":"/old/lanes","args":["hook"]},{"type":"command","command":"fmt.sh"}]}
        ]}}"#;
        let g = groups(&merge(Some(old), "lanes").unwrap());
        assert_eq!(g.len(), 3, "{g:#?}");
        assert_eq!(
            g[0],
            entry("lanes"),
            "replaces the first lanes group where it was"
        );
        assert_eq!(g[1]["hooks"][0]["command"], "guard.sh");
        assert_eq!(
            g[2]["hooks"],
            json!([{"type":"command","command":"fmt.sh"}]),
            "a shared group keeps its other handler"
        );
    }

    #[test]
    fn a_wrapper_command_is_recognised_when_merged_again() {
        let once = merge(None, "/opt/lanes-wrapper").unwrap();
        assert_eq!(merge(Some(&once), "/opt/lanes-wrapper").unwrap(), once);
    }

    #[test]
    fn recognises_lanes_handlers_only() {
        let yes = [
            json!({"type":"command","command":"lanes","args":["hook"]}),
            json!({"type":"command","command":"/home/u/.cargo/bin/lanes","args":["hook","--policy","x"]}),
            json!({"type":"command","command":"C:\\bin\\lanes.exe","args":["hook"]}),
            json!({"type":"command","command":"lanes hook --policy p"}),
            json!({"type":"command","command":"\"/a b/lanes\" hook"}),
        ];
        let no = [
            json!({"type":"command","command":"lanes","args":["check"]}),
            json!({"type":"command","command":"mylanes","args":["hook"]}),
            json!({"type":"command","command":"lanes-hook.sh"}),
            json!({"type":"command","command":"echo lanes hook"}),
            json!({"type":"http","url":"http://x"}),
        ];
        for h in &yes {
            assert!(is_lanes_handler(h), "{h}");
        }
        for h in &no {
            assert!(!is_lanes_handler(h), "{h}");
        }
    }

    #[test]
    fn invalid_json_and_wrong_shapes_are_errors() {
        let e = merge(Some("{\n  \"a\": 1,\n  \"b\": \n}\n"), "lanes").unwrap_err();
        assert_eq!(e.position, Some((4, 1)));
        assert_eq!(e.to_string(), "4:1: not valid JSON: expected value");
        assert_eq!(
            merge(Some("[]"), "lanes").unwrap_err().to_string(),
            "the top level is not a JSON object"
        );
        assert_eq!(
            merge(Some(r#"{"hooks":[]}"#), "lanes")
                .unwrap_err()
                .to_string(),
            "`hooks` is not a JSON object"
        );
        assert_eq!(
            merge(Some(r#"{"hooks":{"PreToolUse":{}}}"#), "lanes")
                .unwrap_err()
                .to_string(),
            "`hooks.PreToolUse` is not a JSON array"
        );
        assert!(remove("{,}").is_err());
    }

    #[test]
    fn remove_restores_the_file_merge_found() {
        // Byte for byte when the file was in the layout lanes writes (here with 4 spaces).
        let original = format!("{}\n", pretty(&parse(OTHERS).unwrap(), b"    "));
        let merged = merge(Some(&original), "lanes").unwrap();
        assert_ne!(merged, original);
        assert_eq!(remove(&merged).unwrap().as_deref(), Some(original.as_str()));
        // Value for value otherwise.
        let merged = merge(Some(OTHERS), "lanes").unwrap();
        assert_eq!(
            parse(&remove(&merged).unwrap().unwrap()).unwrap(),
            parse(OTHERS).unwrap()
        );
        assert_eq!(
            remove(&merge(None, "lanes").unwrap()).unwrap(),
            None,
            "a file lanes created can go"
        );
        let only_model = "{\n  \"model\": \"opus\"\n}\n";
        let merged = merge(Some(only_model), "lanes").unwrap();
        assert_eq!(
            remove(&merged).unwrap().as_deref(),
            Some(only_model),
            "empty hooks containers are pruned"
        );
        assert_eq!(
            remove(OTHERS).unwrap().as_deref(),
            Some(OTHERS),
            "no lanes entry: unchanged"
        );
    }

    #[test]
    fn reports_the_registered_command_and_disabled_hooks() {
        assert_eq!(
            registered_command(&merge(Some(OTHERS), "/x/lanes").unwrap()).as_deref(),
            Some("/x/lanes")
        );
        assert_eq!(registered_command(OTHERS), None);
        assert!(hooks_disabled(r#"{"disableAllHooks": true}"#));
        assert!(!hooks_disabled(r#"{"disableAllHooks": false}"#));
    }
}
