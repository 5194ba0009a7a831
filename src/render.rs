//! Words for people and for the model: the deny reason and the hook's JSON answer.
//!
//! The reason is the only feedback an agent gets when a write is blocked, so it says who the
//! agent is, what it tried, whose lane that is, where it may write, and what to do instead.
//! That also re-anchors an agent that drifted out of its role mid-session.

use crate::decide::Rule;
use crate::policy::Policy;
use crate::role::Actor;

/// The deny reason for `what` (`Write to research/x.md`) under `rule`.
pub fn deny_reason(policy: &Policy, actor: &Actor<'_>, what: &str, rule: &Rule) -> String {
    let why = match rule {
        Rule::OtherLane { owners, pattern } => {
            let roles = owners
                .iter()
                .map(|o| format!("'{o}'"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("that path is in the lane of role {roles} (pattern `{pattern}`)")
        }
        Rule::Unowned => "that path lies outside every lane".to_string(),
        Rule::Protected {
            pattern,
            builtin: false,
        } => {
            format!("that path is protected (pattern `{pattern}`); no role may write it")
        }
        Rule::Protected {
            pattern,
            builtin: true,
        } => format!(
            "that path is always protected (`{pattern}`): agents may not change the lanes policy, \
             Claude Code settings and agents, git internals or the audit log"
        ),
        Rule::OtherSignal { owner } => {
            format!("that path is the signal file of role '{owner}'; only '{owner}' may write or delete it")
        }
        Rule::Unassigned(_) => {
            let names: Vec<&str> = policy.roles.iter().map(|r| r.name.as_str()).collect();
            return format!(
                "lanes blocked {what}: this session has no role and the policy ({}) sets unassigned = \"deny\". \
                 Start the session as a role (LANES_ROLE=<role> claude, or claude --agent <role>); roles: {}.",
                policy.file.display(),
                names.join(", ")
            );
        }
        Rule::UnknownRole(name) => {
            let names: Vec<&str> = policy.roles.iter().map(|r| r.name.as_str()).collect();
            return format!(
                "lanes blocked {what}: the session's role '{name}' (from {}) is not defined in {}, so every \
                 write is blocked. Use one of: {}.",
                actor.source(),
                policy.file.display(),
                names.join(", ")
            );
        }
        Rule::SpawnDenied { target } => format!(
            "a '{target}' subagent acts as role '{target}' and would write that role's lanes; \
             add '{target}' to this role's `spawn` list in lanes.toml to allow it"
        ),
        Rule::Opaque { .. } => "lanes cannot see what that program writes, and the policy sets [bash] opaque = \"deny\"; \
             do the writing with the Write/Edit tools or with commands whose targets are visible (cp, mv, tee, >)"
            .to_string(),
        Rule::UnknownTarget { .. } => "the path it writes is only known when it runs (a variable, a command \
             substitution or standard input decides it), so lanes cannot tell whose lane it is; write to a literal path \
             in your own lane instead"
            .to_string(),
        Rule::RepoWide { .. } => "it reverts or deletes uncommitted work across the whole worktree, including other \
             roles' lanes; name the paths in your own lane instead (for example `git checkout -- src/x` or \
             `git stash push -- src/`)"
            .to_string(),
        Rule::Tamper { .. } => "that would change who this agent is or switch the lanes guard off, which a role \
             session may not do"
            .to_string(),
        Rule::Unparseable { .. } => "lanes could not analyse it, so it cannot tell what it writes; split it into \
             simpler commands, or use the Write/Edit tools"
            .to_string(),
        Rule::Outside | Rule::OwnLane { .. } | Rule::Shared { .. } | Rule::SpawnAllowed { .. } => {
            "no rule blocks it".to_string()
        }
    };
    let Actor::Role(role, _) = actor else {
        return format!("lanes blocked {what}: {why}.");
    };
    let mut out = format!("lanes blocked {what}: {why}. You are the {}", role.name);
    if let Some(d) = role.description() {
        out.push_str(&format!(" ({})", d.trim_end_matches('.')));
    }
    let own = list(
        role.write
            .patterns()
            .filter(|p| !p.text.starts_with('!'))
            .map(|p| p.text),
    );
    let shared = list(policy.shared.patterns().map(|p| p.text));
    out.push_str(&format!(
        "; you may write {}",
        if own.is_empty() {
            "nothing in this project"
        } else {
            &own
        }
    ));
    if !shared.is_empty() {
        out.push_str(&format!(" and the shared paths {shared}"));
    }
    // Never the signal file: a note there would release whoever waits for the handoff.
    let report = match crate::handoff::notes_file(policy, role) {
        Some(notes) => format!("write that down in {notes}"),
        None => "report that in your final message".to_string(),
    };
    out.push_str(&format!(
        ". Do the work inside your own lane, and if something outside it needs to change, {report} instead of \
         writing it"
    ));
    out.push_str(&format!(
        ". Re-read CLAUDE.md. You are the {}; you write to {} only.",
        role.name,
        if own.is_empty() { "nothing" } else { &own }
    ));
    out
}

/// The reason given when the user is asked about `what` (a `[bash]` setting of `"ask"`).
pub fn ask_reason(policy: &Policy, actor: &Actor<'_>, what: &str, rule: &Rule) -> String {
    let denied = deny_reason(policy, actor, what, rule);
    let body = denied
        .strip_prefix(&format!("lanes blocked {what}: "))
        .unwrap_or(&denied);
    format!("lanes asks before {what}: {body}")
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// The PreToolUse JSON that asks the user about a call (`permissionDecision = "ask"`).
pub fn ask_json(reason: &str) -> String {
    serde_json::json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "ask",
            "permissionDecisionReason": reason,
        }
    })
    .to_string()
}

/// The PreToolUse JSON that denies a call (`hookSpecificOutput.permissionDecision = "deny"`),
/// printed on stdout with exit 0. See the hooks fact sheet, section 4.2.
pub fn deny_json(reason: &str) -> String {
    serde_json::json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
    })
    .to_string()
}
