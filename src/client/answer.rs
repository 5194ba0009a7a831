//! The hook's answer in the form each client blocks on: what goes to stdout, to stderr, and
//! the exit status. The library decides the text; only `main` writes it.
//!
//! Measured on the real CLIs (`shared/reference/other-clients.md` §3):
//! - Claude Code, Codex and Copilot's `PreToolUse` form block on exit 0 with
//!   `hookSpecificOutput.permissionDecision: "deny"` and a non-empty reason.
//! - Gemini CLI ignores that form (the tool runs) and blocks on `{"decision":"deny"}`.
//! - Copilot's camelCase form blocks on `{"permissionDecision":"deny"}`.
//! - Only stdout `{"decision":"block","reason":R}` with stderr `R` and exit 2 blocked on
//!   every client: lanes answers so whenever the client is not known, and for every failure
//!   of a client other than Claude Code (which has always blocked on exit 2 and stderr).
//! - `"ask"` is Claude Code's alone: Codex rejects it as invalid and runs the tool, so for the
//!   others a call lanes would ask about is denied, with the same reason.

use super::Client;
use crate::hook::Outcome;
use crate::render;

/// Exit status that blocks a call on every client.
pub const EXIT_BLOCK: u8 = 2;

/// What the hook prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// One complete JSON document for stdout (written in one piece), if any.
    pub stdout: Option<String>,
    /// The reason, for stderr, if any.
    pub stderr: Option<String>,
    /// The exit status.
    pub exit: u8,
    /// The reason, for the caller's last resort: when stdout cannot be written, an exit-0
    /// answer becomes exit 2 with this on stderr.
    pub reason: String,
}

/// The answer to `outcome` for `client` (`None`: not recognised).
pub fn answer(client: Option<Client>, outcome: &Outcome) -> Answer {
    match outcome {
        Outcome::Allow => Answer {
            stdout: None,
            stderr: None,
            exit: 0,
            reason: String::new(),
        },
        Outcome::Deny(reason) => deny(client, reason),
        Outcome::Ask(reason) => match client {
            Some(Client::Claude) => Answer {
                stdout: Some(render::ask_json(reason)),
                stderr: None,
                exit: 0,
                reason: reason.clone(),
            },
            _ => deny(client, reason),
        },
        Outcome::Block(reason) => failure(client, reason),
    }
}

/// The answer when lanes could not judge the call (bad input, a broken policy, a panic, the
/// deadline): exit 2 with the reason on stderr, and, except for Claude Code, the universal
/// block on stdout too.
pub fn failure(client: Option<Client>, reason: &str) -> Answer {
    let reason = non_empty(reason);
    Answer {
        stdout: (client != Some(Client::Claude)).then(|| universal_json(&reason)),
        stderr: Some(reason.clone()),
        exit: EXIT_BLOCK,
        reason,
    }
}

fn deny(client: Option<Client>, reason: &str) -> Answer {
    let reason = non_empty(reason);
    let json = match client {
        Some(Client::Claude | Client::Codex | Client::Copilot) => render::deny_json(&reason),
        Some(Client::Gemini) => {
            serde_json::json!({ "decision": "deny", "reason": reason }).to_string()
        }
        Some(Client::CopilotCamel) => serde_json::json!({
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        })
        .to_string(),
        None => return failure(None, &reason),
    };
    Answer {
        stdout: Some(json),
        stderr: None,
        exit: 0,
        reason,
    }
}

/// `{"decision":"block","reason":R}`.
fn universal_json(reason: &str) -> String {
    serde_json::json!({ "decision": "block", "reason": reason }).to_string()
}

/// Codex and Gemini let a deny without a reason through (§3): never send an empty one.
fn non_empty(reason: &str) -> String {
    if reason.trim().is_empty() {
        "lanes blocked this tool call (no reason was given)".to_string()
    } else {
        reason.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn json(a: &Answer) -> Value {
        serde_json::from_str(a.stdout.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn each_client_gets_the_deny_it_honours() {
        let d = Outcome::Deny("no".into());
        for c in [Client::Claude, Client::Codex, Client::Copilot] {
            let a = answer(Some(c), &d);
            assert_eq!(a.exit, 0);
            assert_eq!(json(&a)["hookSpecificOutput"]["permissionDecision"], "deny");
        }
        let a = answer(Some(Client::Gemini), &d);
        assert_eq!(
            (a.exit, json(&a)),
            (0, serde_json::json!({"decision":"deny","reason":"no"}))
        );
        let a = answer(Some(Client::CopilotCamel), &d);
        assert_eq!(
            (a.exit, json(&a)),
            (
                0,
                serde_json::json!({"permissionDecision":"deny","permissionDecisionReason":"no"})
            )
        );
        let a = answer(None, &d);
        assert_eq!(
            (a.exit, json(&a), a.stderr.as_deref()),
            (
                2,
                serde_json::json!({"decision":"block","reason":"no"}),
                Some("no")
            )
        );
    }

    #[test]
    fn only_claude_code_is_asked() {
        let q = Outcome::Ask("why".into());
        let a = answer(Some(Client::Claude), &q);
        assert_eq!(json(&a)["hookSpecificOutput"]["permissionDecision"], "ask");
        let a = answer(Some(Client::Codex), &q);
        assert_eq!(json(&a)["hookSpecificOutput"]["permissionDecision"], "deny");
        assert_eq!(json(&answer(Some(Client::Gemini), &q))["decision"], "deny");
    }

    #[test]
    fn failures_block_with_exit_2_and_a_reason_everywhere() {
        let b = Outcome::Block("broken".into());
        let a = answer(Some(Client::Claude), &b);
        assert_eq!(
            (a.stdout, a.stderr.as_deref(), a.exit),
            (None, Some("broken"), 2)
        );
        for c in [
            None,
            Some(Client::Codex),
            Some(Client::Gemini),
            Some(Client::CopilotCamel),
        ] {
            let a = answer(c, &b);
            assert_eq!(a.exit, 2);
            assert_eq!(
                json(&a),
                serde_json::json!({"decision":"block","reason":"broken"})
            );
        }
        assert!(!failure(Some(Client::Codex), " ")
            .stderr
            .unwrap()
            .trim()
            .is_empty());
    }
}
