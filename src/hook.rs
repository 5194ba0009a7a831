//! `lanes hook`: one PreToolUse call, from stdin bytes to an [`Outcome`].
//!
//! Data flows one way: input -> effect -> target paths -> places -> verdicts -> audit ->
//! outcome. Nothing here prints; the binary turns the outcome into stdout, stderr and an
//! exit status. Every failure while judging a call that may write becomes
//! [`Outcome::Block`]: Claude Code lets a call through on any exit status but 2 or a deny.

use crate::audit::{self, Record};
use crate::checkout;
use crate::decide::{self, Place, Verdict};
use crate::env::Env;
use crate::hook_input::{self, Effect, HookInput};
use crate::path::{self, RepoPath};
use crate::policy::{self, Policy};
use crate::render;
use crate::role::{self, Actor};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// What the hook answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Let the call through: exit 0, print nothing (never `"allow"`, which would skip the
    /// user's own permission prompts).
    Allow,
    /// Deny the call: exit 0 with the deny JSON; the reason is written for the model.
    Deny(String),
    /// The call could not be judged: exit 2 with the reason on stderr (fail closed).
    Block(String),
}

/// Options of `lanes hook`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--policy FILE`; wins over `LANES_POLICY`.
    pub policy: Option<PathBuf>,
}

/// Judges one hook call. `stdin` is the raw PreToolUse input.
pub fn run(stdin: &[u8], env: &Env, opts: &Options) -> Outcome {
    match judge(stdin, env, opts) {
        Ok(outcome) => outcome,
        Err(reason) => Outcome::Block(format!(
            "lanes could not judge this tool call, so it is blocked (lanes fails closed): {reason}"
        )),
    }
}

fn judge(stdin: &[u8], env: &Env, opts: &Options) -> Result<Outcome, String> {
    let input = hook_input::parse(stdin).map_err(|e| e.to_string())?;
    let effect = input.effect().map_err(|e| e.to_string())?;
    if effect == Effect::None {
        return Ok(Outcome::Allow);
    }
    if let Effect::Shell(_) = effect {
        // Bash analysis is not part of this build; the README says so. `lanes check` backs it.
        return Ok(Outcome::Allow);
    }
    let cwd = input.cwd().map_err(|e| e.to_string())?;
    let explicit = opts.policy.as_deref().or(env.lanes_policy.as_deref());
    let Some(file) = policy::find(cwd, explicit) else {
        return Ok(Outcome::Allow); // this project does not use lanes
    };
    let policy = Policy::load(&file).map_err(|e| e.to_string())?;
    let claims = role::hook_claims(input.agent_type.as_deref(), env.lanes_role.as_deref());
    let actor = role::resolve(&policy, &claims);

    let mut judged: Vec<(Option<String>, Verdict, serde_json::Map<String, serde_json::Value>)> = Vec::new();
    match &effect {
        Effect::Spawn(subagent) => {
            let mut extra = serde_json::Map::new();
            extra.insert("subagent_type".into(), subagent.clone().into());
            judged.push((None, decide::decide_spawn(&policy, &actor, subagent.as_deref()), extra));
        }
        Effect::Files(raw) => {
            for r in raw {
                let (shown, v) = judge_path(&policy, &actor, cwd, r)?;
                judged.push((Some(shown), v, Default::default()));
            }
        }
        Effect::Mcp => {
            let Some(fields) = policy.mcp_fields(&input.tool_name) else {
                return Ok(Outcome::Allow); // an MCP tool the policy does not map
            };
            for r in input.paths_in(fields).map_err(|e| e.to_string())? {
                let (shown, v) = judge_path(&policy, &actor, cwd, &r)?;
                judged.push((Some(shown), v, Default::default()));
            }
        }
        Effect::None | Effect::Shell(_) => unreachable!("handled above"),
    }

    record(&policy, &input, &actor, &judged)?;
    let denied: Vec<String> = judged
        .iter()
        .filter(|(_, v, _)| v.blocked)
        .map(|(path, v, _)| {
            let what = match path {
                Some(p) => format!("{} to {p}", input.tool_name),
                None => format!("{} call", input.tool_name),
            };
            render::deny_reason(&policy, &actor, &what, &v.rule)
        })
        .collect();
    Ok(if denied.is_empty() { Outcome::Allow } else { Outcome::Deny(denied.join("\n")) })
}

/// Resolves one raw path of a tool call and decides it. Returns how the path is shown
/// (repo-relative, or absolute when outside) and the verdict.
fn judge_path(policy: &Policy, actor: &Actor<'_>, cwd: &Path, raw: &str) -> Result<(String, Verdict), String> {
    let abs = path::absolutize(OsStr::new(raw), cwd).map_err(|e| format!("path {raw:?}: {e}"))?;
    let real = path::resolve(&abs).map_err(|e| format!("path {raw:?}: {e}"))?;
    let (place, shown) = locate(&policy.root, &real);
    let verdict = decide::decide(policy, actor, &place, false).map_err(|e| e.to_string())?;
    Ok((shown, verdict))
}

/// Where a physical path lies: in the project, in another checkout of the same repository
/// (judged as if it were here), or outside. Other checkouts are looked up only for paths
/// outside the root or below a nested `.git`, so the common case costs no extra reads.
pub fn locate(root: &Path, real: &Path) -> (Place, String) {
    if let Some(rel) = RepoPath::from_root(root, real) {
        // A linked worktree nested in the project (`claude --worktree` puts them in
        // `.claude/worktrees/NAME/`) is its own checkout: judge paths against its root.
        for dir in real.ancestors().skip(1).take_while(|d| *d != root) {
            if checkout::has_dot_git(dir) && checkout::checkouts_of(root).iter().any(|c| c == dir) {
                if let Some(inner) = RepoPath::from_root(dir, real) {
                    return (Place::Project(inner), real.display().to_string());
                }
            }
        }
        let shown = rel.to_string();
        return (Place::Project(rel), shown);
    }
    for co in checkout::checkouts_of(root) {
        if let Some(rel) = RepoPath::from_root(&co, real) {
            return (Place::Project(rel), real.display().to_string());
        }
    }
    (Place::Outside, real.display().to_string())
}

fn record(
    policy: &Policy,
    input: &HookInput,
    actor: &Actor<'_>,
    judged: &[(Option<String>, Verdict, serde_json::Map<String, serde_json::Value>)],
) -> Result<(), String> {
    let Some(audit) = &policy.audit else { return Ok(()) };
    let ts = audit::now();
    let records: Vec<Record> = judged
        .iter()
        .map(|(path, v, extra)| Record {
            ts: ts.clone(),
            session_id: input.session_id.clone(),
            agent_id: input.agent_id.clone(),
            agent_type: input.agent_type.clone(),
            role: actor.name().map(String::from),
            role_source: actor.source().as_str().to_string(),
            tool: input.tool_name.clone(),
            path: path.clone(),
            decision: if v.blocked { "deny" } else { "allow" }.to_string(),
            violation: v.violation,
            rule: v.rule.to_string(),
            extra: extra.clone(),
        })
        .collect();
    let file = policy.root.join(audit.as_path());
    audit::append(&file, &records).map_err(|e| format!("cannot append to the audit log {}: {e}", file.display()))
}
