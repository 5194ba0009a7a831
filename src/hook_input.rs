//! The PreToolUse hook input, and what a tool call would write.
//!
//! Shapes follow the Claude Code hooks reference and what CLI 2.1.330 sent (see
//! `shared/reference/claude-code-hooks.md`, sections 2, 3 and 10). Unknown fields are
//! ignored, since new ones keep appearing. The other clients' payloads are read by the same
//! struct (Copilot CLI's camelCase names are aliases) and their tools by [`crate::client`].

use crate::client::{Client, ClientName};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// The fields of a PreToolUse input that lanes uses.
#[derive(Debug, Deserialize)]
pub struct HookInput {
    /// `session_id` (Copilot camelCase: `sessionId`): the session (a subagent carries its
    /// parent's).
    #[serde(default, alias = "sessionId")]
    pub session_id: Option<String>,
    /// `cwd`: the session's current directory; relative paths resolve against it.
    #[serde(default)]
    pub cwd: Option<String>,
    /// `hook_event_name`, normally `PreToolUse`.
    #[serde(default)]
    pub hook_event_name: Option<String>,
    /// `tool_name` (`toolName`): `Write`, `Edit`, `Bash`, `mcp__server__tool`, ...
    #[serde(alias = "toolName")]
    pub tool_name: String,
    /// `tool_input` (`toolArgs`): the tool's arguments; the shape depends on the tool (a bare
    /// string for Copilot's `apply_patch`).
    #[serde(default, alias = "toolArgs")]
    pub tool_input: Value,
    /// `tool_use_id`.
    #[serde(default)]
    pub tool_use_id: Option<String>,
    /// `agent_id` (`agentId`): present only inside a subagent.
    #[serde(default, alias = "agentId")]
    pub agent_id: Option<String>,
    /// `agent_type` (`agentType`): the subagent's `name`, or the `--agent` of the whole
    /// session.
    #[serde(default, alias = "agentType")]
    pub agent_type: Option<String>,
    /// `turn_id`: sent by Codex only; its presence marks the client.
    #[serde(default)]
    pub turn_id: Option<IgnoredAny>,
    /// `timestamp`: sent by Copilot CLI and Gemini CLI; its presence marks the client.
    #[serde(default)]
    pub timestamp: Option<IgnoredAny>,
    /// The client that sent the payload, set by [`crate::client::parse`] (Claude Code when
    /// read by [`parse`] alone).
    #[serde(skip)]
    pub client: Client,
}

/// Why a hook input cannot be judged. Each of these blocks a call that may write.
#[derive(Debug)]
pub enum InputError {
    /// stdin is not a JSON object with a string `tool_name`.
    Json(serde_json::Error),
    /// A field that holds a written path is missing.
    Missing {
        /// The tool.
        tool: String,
        /// The `tool_input` field.
        field: String,
    },
    /// A field that should hold a path (or a list of paths) holds something else.
    NotAString {
        /// The tool.
        tool: String,
        /// The `tool_input` field.
        field: String,
    },
    /// `cwd` is missing or not absolute, so relative paths cannot be resolved.
    Cwd(Option<String>),
    /// An `apply_patch` patch whose files cannot be read.
    Patch {
        /// The tool.
        tool: String,
        /// The `tool_input` field that holds the patch.
        field: String,
        /// Why.
        why: String,
    },
    /// The payload is no client's (`found: None`), or not the client `lanes hook --client`
    /// declared.
    Client {
        /// `--client`.
        declared: Option<ClientName>,
        /// The client the payload's shape names.
        found: Option<ClientName>,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Json(e) => write!(f, "the hook input is not a PreToolUse JSON object: {e}"),
            InputError::Missing { tool, field } => {
                write!(f, "{tool} call has no `tool_input.{field}`")
            }
            InputError::NotAString { tool, field } => {
                write!(f, "{tool} call's `tool_input.{field}` is not a string path")
            }
            InputError::Patch { tool, field, why } => {
                write!(
                    f,
                    "{tool} call's `tool_input.{field}` cannot be read as a patch: {why}"
                )
            }
            InputError::Client {
                declared,
                found: None,
            } => write!(
                f,
                "the hook input has no known client's shape{} (its `hook_event_name` is no \
                 Claude Code, Codex, Copilot CLI or Gemini CLI pre-tool event)",
                declared
                    .map(|d| format!(" (expected {})", d.product()))
                    .unwrap_or_default()
            ),
            InputError::Client {
                declared,
                found: Some(found),
            } => write!(
                f,
                "the hook input has the shape of {}'s, but this hook is registered for {} \
                 (lanes hook --client {})",
                found.product(),
                declared.map_or("another client", ClientName::product),
                declared.map_or("?", ClientName::as_str)
            ),
            InputError::Cwd(None) => f.write_str("the hook input has no `cwd`"),
            InputError::Cwd(Some(c)) => {
                write!(f, "the hook input's `cwd` is not an absolute path: {c:?}")
            }
        }
    }
}

impl std::error::Error for InputError {}

/// What kind of effect a tool call has, before any policy is consulted. Borrows from the
/// [`HookInput`]: a Bash command can be long, and is not copied.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect<'a> {
    /// The tool writes nothing lanes judges (Read, Grep, Glob, TodoWrite, ...).
    None,
    /// File tools: the named paths (`Write`/`Edit`/`MultiEdit` `file_path`, `NotebookEdit`
    /// `notebook_path`).
    Files(Vec<String>),
    /// An MCP tool (`mcp__server__tool`): the policy's `[mcp_tools]` map says which input
    /// fields hold written paths.
    Mcp,
    /// The `Agent` tool (`Task` in older versions) starts a subagent of `subagent_type`, or,
    /// with Agent Teams, a teammate called `name` whose calls then carry `agent_type = name`.
    Spawn {
        /// `tool_input.subagent_type` (`None`: the built-in general-purpose agent).
        subagent_type: Option<String>,
        /// `tool_input.name`: a teammate's name.
        name: Option<String>,
    },
    /// The `Bash` tool runs `command`; so does `Monitor` (a command whose output is watched).
    Shell(&'a str),
    /// A shell lanes cannot analyse runs `command` (`PowerShell`): judged as an opaque program.
    Script {
        /// The tool, as the program named in messages.
        program: &'static str,
        /// `tool_input.command`.
        command: &'a str,
    },
    /// Another client's tool that lanes does not know (the tool's name): judged as an opaque
    /// program run in `cwd` (`[bash] opaque` decides), since it may write anything.
    Unknown(&'a str),
}

/// Parses stdin. Errors when it is not a JSON object with a string `tool_name`.
pub fn parse(stdin: &[u8]) -> Result<HookInput, InputError> {
    serde_json::from_slice(stdin).map_err(InputError::Json)
}

impl HookInput {
    /// What this call would do. Errors when a file tool's path field is missing or not a
    /// string, so a malformed write is blocked rather than waved through.
    pub fn effect(&self) -> Result<Effect<'_>, InputError> {
        if self.client != Client::Claude {
            return crate::client::effect(self);
        }
        let tool = self.tool_name.as_str();
        Ok(match tool {
            "Write" | "Edit" | "MultiEdit" => {
                Effect::Files(vec![self.string_field("file_path")?.to_string()])
            }
            "NotebookEdit" => Effect::Files(vec![self.string_field("notebook_path")?.to_string()]),
            "Agent" | "Task" => Effect::Spawn {
                subagent_type: self.optional_string("subagent_type")?,
                name: self.optional_string("name")?,
            },
            "Bash" | "Monitor" => Effect::Shell(self.string_field("command")?),
            "PowerShell" => Effect::Script {
                program: "PowerShell",
                command: self.string_field("command")?,
            },
            t if t.starts_with("mcp__") => Effect::Mcp,
            _ => Effect::None,
        })
    }

    /// The paths held by `fields` of an MCP call (each a string or a list of strings). A
    /// mapped field that is missing or not a path is an error.
    pub fn paths_in(&self, fields: &[String]) -> Result<Vec<String>, InputError> {
        let mut out = Vec::new();
        for field in fields {
            match self.tool_input.get(field) {
                Some(Value::String(s)) => out.push(s.clone()),
                Some(Value::Array(items)) => {
                    for item in items {
                        match item {
                            Value::String(s) => out.push(s.clone()),
                            _ => return Err(self.not_a_string(field)),
                        }
                    }
                }
                None | Some(Value::Null) => {
                    return Err(InputError::Missing {
                        tool: self.tool_name.clone(),
                        field: field.clone(),
                    })
                }
                Some(_) => return Err(self.not_a_string(field)),
            }
        }
        Ok(out)
    }

    /// The absolute `cwd`.
    pub fn cwd(&self) -> Result<&std::path::Path, InputError> {
        match &self.cwd {
            Some(c) if std::path::Path::new(c).is_absolute() => Ok(std::path::Path::new(c)),
            other => Err(InputError::Cwd(other.clone())),
        }
    }

    /// A field that may be absent or null, else a string.
    pub(crate) fn optional_string(&self, field: &str) -> Result<Option<String>, InputError> {
        match self.tool_input.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.not_a_string(field)),
        }
    }

    /// A string field; missing, null or another type is an error naming it.
    pub(crate) fn string_field(&self, field: &str) -> Result<&str, InputError> {
        match self.tool_input.get(field) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(InputError::Missing {
                tool: self.tool_name.clone(),
                field: field.to_string(),
            }),
            Some(_) => Err(self.not_a_string(field)),
        }
    }

    fn not_a_string(&self, field: &str) -> InputError {
        InputError::NotAString {
            tool: self.tool_name.clone(),
            field: field.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The effect, with a Bash command copied out of the input.
    fn effect(json: &str) -> Result<Effect<'static>, String> {
        let input = parse(json.as_bytes()).map_err(|e| e.to_string())?;
        Ok(match input.effect().map_err(|e| e.to_string())? {
            Effect::Shell(c) => Effect::Shell(String::leak(c.to_string())),
            Effect::None => Effect::None,
            Effect::Files(f) => Effect::Files(f),
            Effect::Mcp => Effect::Mcp,
            Effect::Spawn {
                subagent_type,
                name,
            } => Effect::Spawn {
                subagent_type,
                name,
            },
            Effect::Script { program, command } => Effect::Script {
                program,
                command: String::leak(command.to_string()),
            },
            Effect::Unknown(t) => Effect::Unknown(String::leak(t.to_string())),
        })
    }

    #[test]
    fn file_tools_name_their_path_field() {
        let files = |p: &str| Ok(Effect::Files(vec![p.to_string()]));
        assert_eq!(
            effect(r#"{"tool_name":"Write","tool_input":{"file_path":"/r/a","content":"x"}}"#),
            files("/r/a")
        );
        assert_eq!(
            effect(
                r#"{"tool_name":"Edit","tool_input":{"file_path":"/r/b","old_string":"a","new_string":"b","replace_all":false}}"#
            ),
            files("/r/b")
        );
        assert_eq!(
            effect(r#"{"tool_name":"MultiEdit","tool_input":{"file_path":"/r/c","edits":[]}}"#),
            files("/r/c")
        );
        assert_eq!(
            effect(
                r#"{"tool_name":"NotebookEdit","tool_input":{"notebook_path":"/r/n.ipynb","new_source":""}}"#
            ),
            files("/r/n.ipynb")
        );
    }

    #[test]
    fn other_tools() {
        assert_eq!(
            effect(r#"{"tool_name":"Read","tool_input":{"file_path":"/r/a"}}"#),
            Ok(Effect::None)
        );
        assert_eq!(
            effect(r#"{"tool_name":"TodoWrite","tool_input":{}}"#),
            Ok(Effect::None)
        );
        assert_eq!(
            effect(r#"{"tool_name":"mcp__fs__write_file","tool_input":{}}"#),
            Ok(Effect::Mcp)
        );
        assert_eq!(
            effect(
                r#"{"tool_name":"Agent","tool_input":{"subagent_type":"builder","prompt":"p"}}"#
            ),
            Ok(Effect::Spawn {
                subagent_type: Some("builder".into()),
                name: None
            })
        );
        assert_eq!(
            effect(r#"{"tool_name":"Task","tool_input":{"prompt":"p"}}"#),
            Ok(Effect::Spawn {
                subagent_type: None,
                name: None
            })
        );
        assert_eq!(
            effect(r#"{"tool_name":"Bash","tool_input":{"command":"ls"}}"#),
            Ok(Effect::Shell("ls"))
        );
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(
            effect(r#"{"tool_name":"Write","tool_input":{}}"#),
            Err("Write call has no `tool_input.file_path`".into())
        );
        assert_eq!(
            effect(r#"{"tool_name":"Write","tool_input":{"file_path":7}}"#),
            Err("Write call's `tool_input.file_path` is not a string path".into())
        );
        assert_eq!(
            effect(r#"{"tool_name":"NotebookEdit","tool_input":{"file_path":"/x"}}"#),
            Err("NotebookEdit call has no `tool_input.notebook_path`".into())
        );
        assert!(effect("not json")
            .unwrap_err()
            .starts_with("the hook input is not a PreToolUse JSON object"));
        assert!(
            effect(r#"{"tool_input":{}}"#).is_err(),
            "tool_name is required"
        );
        assert!(effect(r#"[1]"#).is_err());
    }

    #[test]
    fn mcp_fields_take_strings_and_lists() {
        let i = parse(br#"{"tool_name":"mcp__x__y","tool_input":{"a":"p","b":["q","r"],"c":3}}"#)
            .unwrap();
        assert_eq!(
            i.paths_in(&["a".into(), "b".into()]).unwrap(),
            ["p", "q", "r"]
        );
        assert!(i.paths_in(&["c".into()]).is_err());
        assert!(i.paths_in(&["missing".into()]).is_err());
    }

    #[test]
    fn cwd_must_be_absolute() {
        let i = parse(br#"{"tool_name":"Write","cwd":"rel"}"#).unwrap();
        assert!(i.cwd().is_err());
        let i = parse(br#"{"tool_name":"Write"}"#).unwrap();
        assert!(i.cwd().is_err());
        let i = parse(br#"{"tool_name":"Write","cwd":"/r"}"#).unwrap();
        assert_eq!(i.cwd().unwrap(), std::path::Path::new("/r"));
    }
}
