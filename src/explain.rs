//! `lanes explain`: why a path may or may not be written, and why a hook call was judged the
//! way it was.
//!
//! [`explain_path`] decides the path for every role (or one) through [`decide::decide`], and
//! gives the same deny reason the hook would ([`render::deny_reason`]). [`replay`] runs a saved
//! PreToolUse payload through [`hook::evaluate`], which is pure: nothing is written to the
//! audit log.

use crate::decide::{self, Place, Verdict};
use crate::env::Env;
use crate::hook::{self, Outcome};
use crate::hook_input::Effect;
use crate::path;
use crate::policy::Policy;
use crate::render;
use crate::role::{self, Actor, Claim, RoleSource};
use serde::Serialize;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The decision for one role (or the unassigned session).
#[derive(Debug, Clone, Serialize)]
pub struct RoleVerdict {
    /// The role; `None` for a session without a role.
    pub role: Option<String>,
    /// True when the write would go through.
    pub allowed: bool,
    /// True when the write is out of lane (blocked, or only recorded in log mode).
    pub violation: bool,
    /// The rule that decided, as the audit log writes it (`own lane: src/`).
    pub rule: String,
    /// The reason the hook gives the model when it denies (or, in log mode, would deny).
    pub reason: Option<String>,
}

/// Who may write a path, and why.
#[derive(Debug, Clone, Serialize)]
pub struct PathExplanation {
    /// The policy file.
    pub policy: PathBuf,
    /// The path as shown: repo-relative, or absolute when outside the project.
    pub path: String,
    /// `project`, `outside`, or `guarded` (outside, but no role may write it).
    pub place: &'static str,
    /// True when the path is an existing directory.
    pub is_dir: bool,
    /// The protecting pattern, when the path is protected.
    pub protected: Option<String>,
    /// True when `protected` is built in (the policy file, `.claude/`, `.git`, the audit log).
    pub builtin_protected: bool,
    /// The `[shared]` pattern that holds the path.
    pub shared: Option<String>,
    /// The role whose signal file this is.
    pub signal_of: Option<String>,
    /// Roles that may write the path.
    pub writers: Vec<String>,
    /// The decision for each role asked about (all roles, then the unassigned session; or
    /// just the `--role`).
    pub verdicts: Vec<RoleVerdict>,
}

/// Explains the path `raw` (relative to `cwd`) under `policy`, for a user whose environment is
/// `env` (what it guards outside the project). With `role`, only that role is
/// decided (an unknown name is decided as the hook would: every write blocked).
///
/// Errors: the path cannot be resolved; a pattern list does not compile.
pub fn explain_path(
    policy: &Policy,
    raw: &str,
    cwd: &Path,
    role: Option<&str>,
    env: &crate::env::Env,
) -> Result<PathExplanation, String> {
    let abs = path::absolutize(OsStr::new(raw), cwd).map_err(|e| format!("path {raw:?}: {e}"))?;
    let real = path::resolve(&abs).map_err(|e| format!("path {raw:?}: {e}"))?;
    let is_dir = real.is_dir();
    let (place, shown) = hook::locate(&policy.root, &real, env);
    let err = |e: crate::policy::PolicyError| e.to_string();
    let lanes = crate::policy::Lanes::new(policy);
    let mut ex = PathExplanation {
        policy: policy.file.clone(),
        path: shown.clone(),
        place: match place {
            Place::Outside => "outside",
            Place::Guarded(_) => "guarded",
            Place::Project(_) => "project",
        },
        is_dir,
        protected: None,
        builtin_protected: false,
        shared: None,
        signal_of: None,
        writers: Vec::new(),
        verdicts: Vec::new(),
    };
    if let Place::Project(rp) = &place {
        if let Some(p) = lanes
            .lane(&policy.builtin_protected)
            .map_err(err)?
            .find(rp, is_dir)
        {
            ex.protected = Some(p.to_string());
            ex.builtin_protected = true;
        } else if let Some(p) = lanes.lane(&policy.protected).map_err(err)?.find(rp, is_dir) {
            ex.protected = Some(p.to_string());
        }
        ex.shared = lanes
            .lane(&policy.shared)
            .map_err(err)?
            .find(rp, is_dir)
            .map(String::from);
        ex.signal_of = policy
            .roles
            .iter()
            .find(|r| r.signal.as_ref() == Some(rp))
            .map(|r| r.name.clone());
    }
    let what = format!("Write to {shown}");
    let one = |actor: &Actor<'_>| -> Result<RoleVerdict, String> {
        let v: Verdict = decide::decide(&lanes, actor, &place, is_dir).map_err(err)?;
        let reason = v
            .violation
            .then(|| render::deny_reason(policy, actor, &what, &v.rule));
        Ok(RoleVerdict {
            role: actor.name().map(String::from),
            allowed: !v.blocked,
            violation: v.violation,
            rule: v.rule.to_string(),
            reason,
        })
    };
    match role {
        Some(name) => ex.verdicts.push(one(&role::resolve(
            policy,
            &[Claim::Named(name, RoleSource::Flag)],
        ))?),
        None => {
            for r in &policy.roles {
                ex.verdicts.push(one(&Actor::Role(r, RoleSource::Flag))?);
            }
            ex.verdicts.push(one(&Actor::Unassigned)?);
        }
    }
    ex.writers = ex
        .verdicts
        .iter()
        .filter(|v| v.allowed && !v.violation)
        .filter_map(|v| v.role.clone())
        .collect();
    Ok(ex)
}

impl PathExplanation {
    /// Text for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} ({}{})",
            self.path,
            self.place,
            if self.is_dir { ", directory" } else { "" }
        );
        let _ = writeln!(out, "  policy: {}", self.policy.display());
        if let Some(p) = &self.protected {
            let kind = if self.builtin_protected {
                "always protected"
            } else {
                "protected"
            };
            let _ = writeln!(out, "  {kind} by `{p}`: no role may write it");
        }
        if let Some(s) = &self.shared {
            let _ = writeln!(out, "  shared by `{s}`: every role may write it");
        }
        if let Some(r) = &self.signal_of {
            let _ = writeln!(
                out,
                "  signal file of role '{r}': only '{r}' may write or delete it"
            );
        }
        if self.verdicts.len() > 1 {
            let w = if self.writers.is_empty() {
                "no role".to_string()
            } else {
                self.writers.join(", ")
            };
            let _ = writeln!(out, "  may write it: {w}");
        }
        for v in &self.verdicts {
            let who = v.role.as_deref().unwrap_or("(no role)");
            let word = match (v.allowed, v.violation) {
                (true, false) => "allow",
                (true, true) => "allow (log mode: recorded as a violation)",
                (false, _) => "deny",
            };
            let _ = writeln!(out, "  {who}: {word} [{}]", v.rule);
            if self.verdicts.len() == 1 {
                if let Some(r) = &v.reason {
                    let _ = writeln!(out, "\n{r}");
                }
            }
        }
        out
    }

    /// True when every role asked about may write the path without a violation.
    pub fn allowed(&self) -> bool {
        self.verdicts.iter().all(|v| v.allowed && !v.violation)
    }
}

/// One judged effect in a [`Trace`].
#[derive(Debug, Clone, Serialize)]
pub struct TraceStep {
    /// The path (repo-relative or absolute), `None` for a spawn.
    pub path: Option<String>,
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// Out of lane (blocked, or recorded in log mode).
    pub violation: bool,
    /// The rule that decided.
    pub rule: String,
    /// The reason given to the model, when denied.
    pub reason: Option<String>,
}

/// The full decision trace of one replayed hook call.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    /// `tool_name` of the payload (`None` when the payload did not parse).
    pub tool: Option<String>,
    /// `session_id`, `agent_type`, `agent_id` of the payload.
    pub session_id: Option<String>,
    /// See `session_id`.
    pub agent_type: Option<String>,
    /// See `session_id`.
    pub agent_id: Option<String>,
    /// `cwd` of the payload.
    pub cwd: Option<String>,
    /// What the tool call does: `files`, `mcp`, `spawn`, `shell`, `none`.
    pub effect: Option<&'static str>,
    /// The targets named by the call before resolution (paths, subagent type, command).
    pub targets: Vec<String>,
    /// The policy used.
    pub policy: Option<PathBuf>,
    /// The audit log the hook would append to (not written by a replay).
    pub audit: Option<PathBuf>,
    /// The acting role.
    pub role: Option<String>,
    /// Where the role came from (`agent_type`, `env`, `unassigned`, ...).
    pub role_source: Option<&'static str>,
    /// Each judged effect.
    pub steps: Vec<TraceStep>,
    /// Why nothing was judged.
    pub skipped: Option<String>,
    /// `allow`, `deny` or `block` (the call could not be judged; the hook fails closed).
    pub outcome: &'static str,
    /// The deny or block message the hook would give.
    pub message: Option<String>,
}

/// Replays the PreToolUse payload `stdin` as `lanes hook` would judge it, without side
/// effects. `env` supplies `LANES_ROLE` (the payload does not carry it).
pub fn replay(stdin: &[u8], env: &Env, opts: &hook::Options) -> Trace {
    let mut t = Trace {
        tool: None,
        session_id: None,
        agent_type: None,
        agent_id: None,
        cwd: None,
        effect: None,
        targets: Vec::new(),
        policy: None,
        audit: None,
        role: None,
        role_source: None,
        steps: Vec::new(),
        skipped: None,
        outcome: "block",
        message: None,
    };
    let block = |t: &mut Trace, reason: String| {
        t.outcome = "block";
        t.message = Some(format!(
            "lanes could not judge this tool call, so it is blocked (lanes fails closed): {reason}"
        ));
    };
    let input = match crate::client::parse(stdin, None) {
        Ok(i) => i,
        Err(e) => {
            block(&mut t, e.to_string());
            return t;
        }
    };
    t.tool = Some(input.tool_name.clone());
    t.session_id = input.session_id.clone();
    t.agent_type = input.agent_type.clone();
    t.agent_id = input.agent_id.clone();
    t.cwd = input.cwd.clone();
    match input.effect() {
        Ok(Effect::None) => t.effect = Some("none"),
        Ok(Effect::Files(paths)) => (t.effect, t.targets) = (Some("files"), paths),
        Ok(Effect::Mcp) => t.effect = Some("mcp"),
        Ok(Effect::Spawn {
            subagent_type,
            name,
        }) => {
            let mut targets = vec![subagent_type.unwrap_or_else(|| "general-purpose".into())];
            targets.extend(name);
            (t.effect, t.targets) = (Some("spawn"), targets)
        }
        Ok(Effect::Shell(cmd)) => (t.effect, t.targets) = (Some("shell"), vec![cmd.to_string()]),
        Ok(Effect::Script { command, .. }) => {
            (t.effect, t.targets) = (Some("script"), vec![command.to_string()])
        }
        Ok(Effect::Unknown(tool)) => (t.effect, t.targets) = (Some("unknown"), vec![tool.into()]),
        Err(_) => {} // evaluate reports it below
    }
    let eval = match hook::evaluate(&input, env, opts) {
        Ok(e) => e,
        Err(reason) => {
            block(&mut t, reason);
            return t;
        }
    };
    if t.effect == Some("mcp") {
        t.targets = eval.judged.iter().filter_map(|j| j.path.clone()).collect();
    }
    t.policy = eval.policy_file.clone();
    t.audit = eval.audit_file.clone();
    t.role = eval.role.clone();
    t.role_source = Some(eval.role_source.as_str());
    t.skipped = eval.skipped.map(String::from);
    t.steps = eval
        .judged
        .iter()
        .map(|j| TraceStep {
            path: j.path.clone(),
            decision: j.verdict.decision(),
            violation: j.verdict.violation,
            rule: j.verdict.rule.to_string(),
            reason: j.reason.clone(),
        })
        .collect();
    match eval.outcome() {
        Outcome::Allow => t.outcome = "allow",
        Outcome::Deny(m) => (t.outcome, t.message) = ("deny", Some(m)),
        Outcome::Ask(m) => (t.outcome, t.message) = ("ask", Some(m)),
        Outcome::Block(m) => (t.outcome, t.message) = ("block", Some(m)),
    }
    t
}

impl Trace {
    /// Text for a terminal: the trace in the order the hook works.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        let _ = writeln!(out, "tool:      {}", opt(&self.tool));
        let _ = writeln!(
            out,
            "session:   {}  agent_type: {}  agent_id: {}",
            opt(&self.session_id),
            opt(&self.agent_type),
            opt(&self.agent_id)
        );
        let _ = writeln!(out, "cwd:       {}", opt(&self.cwd));
        if let Some(p) = &self.policy {
            let _ = writeln!(out, "policy:    {}", p.display());
        }
        if let Some(src) = self.role_source {
            let _ = writeln!(
                out,
                "role:      {} (from {src})",
                self.role.as_deref().unwrap_or("(none)")
            );
        }
        if let Some(e) = self.effect {
            let _ = writeln!(out, "effect:    {e}");
        }
        for target in &self.targets {
            let _ = writeln!(out, "target:    {target}");
        }
        if let Some(s) = &self.skipped {
            let _ = writeln!(out, "not judged: {s}");
        }
        for s in &self.steps {
            let what = s.path.as_deref().unwrap_or("(spawn)");
            let v = if s.violation && s.decision == "allow" {
                " (violation, log mode)"
            } else {
                ""
            };
            let _ = writeln!(out, "verdict:   {what}: {}{v} [{}]", s.decision, s.rule);
        }
        let _ = writeln!(out, "outcome:   {}", self.outcome);
        if let Some(m) = &self.message {
            let _ = writeln!(out, "\n{m}");
        }
        out
    }
}
