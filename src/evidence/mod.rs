//! `lanes hook` for the events that come after a decision: PostToolUse and
//! PostToolUseFailure (what a command did, from the client's diff: [`after_run`]) and
//! UserPromptSubmit (the session's task, for the receipt: [`prompt`]).
//!
//! These events cannot block anything lanes judges: the call already ran, and blocking a
//! prompt would erase the user's words. So nothing here fails closed. Every answer is
//! exit 0: an error becomes a `systemMessage` to the user (lanes could not check), never
//! exit 2, which on UserPromptSubmit would block the prompt and on PostToolUse would pass
//! stderr to the model as if the command had failed. Shapes: hooks reference
//! (`shared/reference/claude-code-hooks.md` §5) and `bash-edit-diff.md`.

pub mod after_run;
pub mod prompt;

use crate::env::Env;
use crate::hook;
use serde::Deserialize;

/// Which kind of hook input stdin holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// PreToolUse (or an input that names no event): [`hook::run_parsed`] judges it, failing
    /// closed.
    Before,
    /// PostToolUse or PostToolUseFailure.
    After,
    /// UserPromptSubmit.
    Prompt,
}

/// The event of `stdin`. PreToolUse inputs, by far the most frequent, are told apart by one
/// byte search (they hold neither event name) and are not parsed here; an input that does
/// hold one is parsed for its `hook_event_name`, since a Bash command may quote the words.
pub fn event_of(stdin: &[u8]) -> Event {
    let mentions = |name: &str| memchr::memmem::find(stdin, name.as_bytes()).is_some();
    if !mentions("PostToolUse") && !mentions("UserPromptSubmit") {
        return Event::Before;
    }
    #[derive(Deserialize)]
    struct Envelope {
        #[serde(default)]
        hook_event_name: Option<String>,
    }
    match serde_json::from_slice::<Envelope>(stdin)
        .ok()
        .and_then(|e| e.hook_event_name)
        .as_deref()
    {
        Some("PostToolUse" | "PostToolUseFailure") => Event::After,
        Some("UserPromptSubmit") => Event::Prompt,
        _ => Event::Before,
    }
}

/// What to print for an event other than PreToolUse. The exit status is always 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// One JSON object for stdout, or nothing.
    pub stdout: Option<String>,
}

impl Answer {
    /// Tells the user (`systemMessage`, not the model) that lanes could not do its part.
    pub fn warn_user(event: &str, why: &str) -> Answer {
        Answer {
            stdout: Some(
                serde_json::json!({
                    "systemMessage": format!("lanes ({event}): {why}"),
                })
                .to_string(),
            ),
        }
    }
}

/// Handles an [`Event::After`] or [`Event::Prompt`] input. Never fails: see the module docs.
pub fn run(event: Event, stdin: &[u8], env: &Env, opts: &hook::Options) -> Answer {
    match event {
        Event::After => after_run::run(stdin, env, opts),
        Event::Prompt => prompt::run(stdin, env, opts),
        Event::Before => Answer::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_events_apart() {
        assert_eq!(
            event_of(br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"echo PostToolUse"}}"#),
            Event::Before
        );
        assert_eq!(
            event_of(br#"{"hook_event_name":"PostToolUse","tool_name":"Bash"}"#),
            Event::After
        );
        assert_eq!(
            event_of(br#"{"hook_event_name":"PostToolUseFailure","tool_name":"Bash"}"#),
            Event::After
        );
        assert_eq!(
            event_of(br#"{"hook_event_name":"UserPromptSubmit","prompt":"x"}"#),
            Event::Prompt
        );
        assert_eq!(event_of(b"not json PostToolUse"), Event::Before);
        assert_eq!(event_of(b"{}"), Event::Before);
    }
}
