//! The agent CLIs whose pre-tool hooks `lanes hook` serves: Claude Code, OpenAI Codex,
//! GitHub Copilot CLI and Gemini CLI.
//!
//! Each sends a payload close to Claude Code's PreToolUse input but not the same, and honours
//! a different answer (`shared/reference/other-clients.md` §1–§3). This module is the
//! boundary: [`parse`] reads the payload into the one [`HookInput`] lanes judges and notes
//! which client sent it ([`detect`]), each client's module turns its tools into the same
//! [`Effect`]s (written paths, a shell command, a spawn, an MCP call, nothing, or an unknown
//! tool), and [`answer`] renders the outcome in the form that client blocks on. The decision
//! itself is made once, by [`crate::hook::evaluate`], for every client.

pub mod answer;
mod codex;
mod copilot;
pub mod detect;
mod gemini;
pub mod trust;

use crate::hook_input::{self, Effect, HookInput, InputError};
use std::borrow::Cow;
use std::fmt;
use std::path::Path;

/// The client a payload came from, in the form its answer must take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Client {
    /// Claude Code (`PreToolUse`; also any payload without another client's marks).
    #[default]
    Claude,
    /// OpenAI Codex (`PreToolUse` with a `turn_id`).
    Codex,
    /// GitHub Copilot CLI, `PreToolUse` hooks: snake_case fields, Claude-like tool names
    /// (`Write`, `Edit`, `Bash`, `Agent`); the form `lanes init` registers.
    Copilot,
    /// GitHub Copilot CLI, `preToolUse` hooks: camelCase fields (`toolName`, `toolArgs`), the
    /// CLI's own tool names (`create`, `edit`, `apply_patch`, `bash`, `task`).
    CopilotCamel,
    /// Gemini CLI (`BeforeTool`).
    Gemini,
}

/// A client as named on the command line (`lanes hook --client`, `lanes init --client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientName {
    /// Claude Code.
    Claude,
    /// OpenAI Codex.
    Codex,
    /// GitHub Copilot CLI.
    Copilot,
    /// Gemini CLI.
    Gemini,
}

impl ClientName {
    /// Every client, in the order summaries list them.
    pub const ALL: [ClientName; 4] = [
        ClientName::Claude,
        ClientName::Codex,
        ClientName::Copilot,
        ClientName::Gemini,
    ];

    /// The name on the command line: `claude`, `codex`, `copilot`, `gemini`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientName::Claude => "claude",
            ClientName::Codex => "codex",
            ClientName::Copilot => "copilot",
            ClientName::Gemini => "gemini",
        }
    }

    /// The product's name, for messages.
    pub fn product(self) -> &'static str {
        match self {
            ClientName::Claude => "Claude Code",
            ClientName::Codex => "Codex",
            ClientName::Copilot => "Copilot CLI",
            ClientName::Gemini => "Gemini CLI",
        }
    }

    /// The answer form for a client known only by name (before or without its payload):
    /// Copilot in the `PreToolUse` form `lanes init` registers.
    pub fn client(self) -> Client {
        match self {
            ClientName::Claude => Client::Claude,
            ClientName::Codex => Client::Codex,
            ClientName::Copilot => Client::Copilot,
            ClientName::Gemini => Client::Gemini,
        }
    }
}

impl fmt::Display for ClientName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Client {
    /// The client's name.
    pub fn name(self) -> ClientName {
        match self {
            Client::Claude => ClientName::Claude,
            Client::Codex => ClientName::Codex,
            Client::Copilot | Client::CopilotCamel => ClientName::Copilot,
            Client::Gemini => ClientName::Gemini,
        }
    }

    /// The name the audit log gives the client (`Record::client`): none for Claude Code,
    /// whose records have always gone without one.
    pub fn logged_name(self) -> Option<&'static str> {
        match self.name() {
            ClientName::Claude => None,
            other => Some(other.as_str()),
        }
    }
}

/// Reads a hook payload and recognises its client. `declared` is `lanes hook --client`: a
/// payload that does not look like that client's is an error, so a misregistered hook (or
/// a payload forged for a laxer reading) blocks. Without it, any recognised client is taken.
pub fn parse(stdin: &[u8], declared: Option<ClientName>) -> Result<HookInput, InputError> {
    let mut input = hook_input::parse(stdin)?;
    let found = detect::detect(&input).ok_or(InputError::Client {
        declared,
        found: None,
    })?;
    if declared.is_some_and(|d| d != found.name()) {
        return Err(InputError::Client {
            declared,
            found: Some(found.name()),
        });
    }
    input.client = found;
    Ok(input)
}

/// The client to answer: the payload's when it was recognised, else the declared one, else
/// none (the universal block, see [`answer`]).
pub fn answering(
    parsed: &Result<HookInput, InputError>,
    declared: Option<ClientName>,
) -> Option<Client> {
    match parsed {
        Ok(input) => Some(input.client),
        Err(_) => declared.map(ClientName::client),
    }
}

/// What a non-Claude client's call does (Claude Code's tools are read by [`HookInput`]).
pub(crate) fn effect(input: &HookInput) -> Result<Effect<'_>, InputError> {
    match input.client {
        Client::Claude => unreachable!("Claude Code's tools are read by hook_input"),
        Client::Codex => codex::effect(input),
        Client::Copilot | Client::CopilotCamel => copilot::effect(input),
        Client::Gemini => gemini::effect(input),
    }
}

/// The directory a shell call runs in: Gemini's `run_shell_command` names it apart
/// (`dir_path`, relative to `cwd` or absolute: §2, §4), every other client folds it into
/// `cwd`. Lexical: `..` is resolved later with the rest of the paths.
pub fn shell_dir<'a>(input: &HookInput, cwd: &'a Path) -> Result<Cow<'a, Path>, InputError> {
    match input.client {
        Client::Gemini => gemini::shell_dir(input, cwd).map(Cow::Owned),
        _ => Ok(Cow::Borrowed(cwd)),
    }
}

/// The paths of an `apply_patch` patch held in `text` (the tool's `field`).
fn patch_paths(input: &HookInput, field: &str, text: &str) -> Result<Vec<String>, InputError> {
    crate::apply_patch::paths(text).map_err(|e| InputError::Patch {
        tool: input.tool_name.clone(),
        field: field.to_string(),
        why: e.to_string(),
    })
}
