//! `lanes hook`: one PreToolUse call, from stdin bytes to an [`Outcome`].
//!
//! Data flows one way: input -> effect -> target paths -> places -> verdicts -> audit ->
//! outcome. [`evaluate`] judges without side effects (so `lanes explain --hook-input` can
//! replay a call); [`run_parsed`] adds the audit log and the outcome. Nothing here prints;
//! the binary turns the outcome into stdout, stderr and an exit status. Every failure while
//! judging a call that may write becomes [`Outcome::Block`]: Claude Code lets a call through
//! on any exit status but 2 or a deny.

use crate::audit::{self, RecordRef};
use crate::checkout;
use crate::client::{self, Client};
use crate::decide::{self, Place, Rule, Verdict};
use crate::env::Env;
use crate::guarded;
use crate::hook_input::{self, Effect, HookInput};
use crate::path::{self, RepoPath};
use crate::policy::{self, Lanes, Policy};
use crate::reach;
use crate::render;
use crate::role::{self, Actor, Claim, RoleSource};
use crate::session;
use crate::shell::{self, Finding, Found, Target};
use foldhash::fast::FixedState;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// What the hook answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Let the call through: exit 0, print nothing (never `"allow"`, which would skip the
    /// user's own permission prompts).
    Allow,
    /// Deny the call: exit 0 with the deny JSON; the reason is written for the model.
    Deny(String),
    /// Ask the user: exit 0 with `permissionDecision: "ask"` (a `[bash]` setting of `"ask"`).
    Ask(String),
    /// The call could not be judged: exit 2 with the reason on stderr (fail closed).
    Block(String),
}

/// Options of `lanes hook`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--policy FILE`; wins over `LANES_POLICY`.
    pub policy: Option<PathBuf>,
    /// Read a large policy through the parsed-policy cache, writing it when it is missing or
    /// stale (`lanes hook`); when false, parse it and write nothing (`lanes explain`, tests).
    pub use_cache: bool,
}

/// One judged effect of a call: a written path, or a path-less action (a spawn).
#[derive(Debug, Clone)]
pub struct Judged {
    /// The path as shown to people: repo-relative, or absolute when outside the project or
    /// in another checkout. `None` for path-less actions.
    pub path: Option<String>,
    /// The decision.
    pub verdict: Verdict,
    /// For a blocked effect (or one to ask about), the reason written for the model.
    pub reason: Option<String>,
    /// Extra audit fields (`subagent_type`, `command`, ...).
    pub extra: audit::Extra,
}

/// The judgement of one call, before anything is recorded.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The policy file used; `None` when the project does not use lanes.
    pub policy_file: Option<PathBuf>,
    /// Absolute path of the audit log, when the policy keeps one.
    pub audit_file: Option<PathBuf>,
    /// The acting role (`None`: unassigned).
    pub role: Option<String>,
    /// Where the role came from.
    pub role_source: RoleSource,
    /// Every judged effect; empty when the call writes nothing lanes judges.
    pub judged: Vec<Judged>,
    /// Why nothing was judged, when `judged` is empty (`the tool writes nothing`, ...).
    pub skipped: Option<&'static str>,
    /// The same call judged under the policy of each other lanes project it reaches (a path
    /// in it), each recorded in that project's audit log.
    pub others: Vec<Evaluation>,
    /// The physical paths this judging found outside its project: where another project's
    /// policy may govern.
    pub outside: Vec<PathBuf>,
    /// The session's memory to write, when this call changes it: (project root, session id,
    /// memory).
    pub remember: Option<(PathBuf, String, session::Memory)>,
}

impl Evaluation {
    fn skipped(why: &'static str) -> Evaluation {
        Evaluation {
            policy_file: None,
            audit_file: None,
            role: None,
            role_source: RoleSource::Unassigned,
            judged: Vec::new(),
            skipped: Some(why),
            others: Vec::new(),
            outside: Vec::new(),
            remember: None,
        }
    }

    /// Every judged effect, under every policy the call reaches.
    pub fn all_judged(&self) -> impl Iterator<Item = &Judged> {
        self.judged
            .iter()
            .chain(self.others.iter().flat_map(|o| o.judged.iter()))
    }

    /// The outcome for Claude Code: denied when any effect is blocked (under any policy the
    /// call reaches), else asked when any effect needs the user, else allowed.
    pub fn outcome(&self) -> Outcome {
        let reasons = |f: fn(&Verdict) -> bool| -> Vec<&str> {
            self.all_judged()
                .filter(|j| f(&j.verdict))
                .filter_map(|j| j.reason.as_deref())
                .collect()
        };
        let deny = reasons(|v| v.blocked);
        if !deny.is_empty() {
            return Outcome::Deny(dedup(deny).join("\n"));
        }
        let ask = reasons(|v| v.ask);
        if !ask.is_empty() {
            return Outcome::Ask(dedup(ask).join("\n"));
        }
        Outcome::Allow
    }
}

fn dedup(mut v: Vec<&str>) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(*s));
    v
}

/// Judges one hook call and records it. `input` is the PreToolUse payload as
/// [`crate::client::parse`] read it: that also recognises the client, whose tools
/// [`HookInput::effect`] reads by its own names (read as Claude Code's, a Gemini
/// `write_file` would write nothing).
pub fn run_parsed(
    input: Result<HookInput, hook_input::InputError>,
    env: &Env,
    opts: &Options,
) -> Outcome {
    let result = input.map_err(|e| e.to_string()).and_then(|input| {
        let eval = evaluate(&input, env, opts)?;
        let outcome = eval.outcome();
        // A denied call ran in no part: its in-lane targets were never written.
        let ran = matches!(outcome, Outcome::Deny(_)).then_some(false);
        record(&input, &eval, ran)?;
        Ok(outcome)
    });
    match result {
        Ok(outcome) => outcome,
        Err(reason) => Outcome::Block(format!(
            "lanes could not judge this tool call, so it is blocked (lanes fails closed): {reason}"
        )),
    }
}

/// Judges one call. It writes nothing but, with [`Options::use_cache`], the parsed-policy
/// cache. Errors (a bad input field, a broken policy, an unresolvable path) are for the
/// caller to turn into a block.
pub fn evaluate(input: &HookInput, env: &Env, opts: &Options) -> Result<Evaluation, String> {
    let effect = input.effect().map_err(|e| e.to_string())?;
    evaluate_effect(input, effect, env, opts)
}

/// [`evaluate`] for an `effect` the caller names: the files a command changed, as the client
/// reported after it ran (`crate::evidence::after_run`), are judged as the writes of a file tool, by
/// the same resolution of paths, policies and roles.
pub fn evaluate_effect(
    input: &HookInput,
    effect: Effect<'_>,
    env: &Env,
    opts: &Options,
) -> Result<Evaluation, String> {
    if effect == Effect::None {
        return Ok(Evaluation::skipped("the tool writes nothing lanes judges"));
    }
    let cwd = input.cwd().map_err(|e| e.to_string())?;
    let explicit = opts.policy.as_deref().or(env.lanes_policy.as_deref());
    // Resolved against the call's `cwd`, a relative policy would change with where the agent
    // runs its command, which the agent chooses.
    if let Some(p) = explicit.filter(|p| p.is_relative()) {
        return Err(format!(
            "the policy {} (--policy or LANES_POLICY) must be an absolute path",
            p.display()
        ));
    }
    // Where a shell command runs: `cwd`, or Gemini's `dir_path` joined to it.
    let shell_cwd = client::shell_dir(input, cwd).map_err(|e| e.to_string())?;
    // Bash is analysed once, before any policy: the findings name the paths the call reaches.
    let findings = match &effect {
        Effect::Shell(command) => {
            let cx = shell::Context {
                cwd: shell_cwd.to_path_buf(),
                home: env.home.clone(),
                live_stdin: input.client == Client::Codex,
            };
            shell::analyze(command, &cx)
        }
        // A shell lanes cannot parse: one opaque program, run here, naming what its text names.
        Effect::Script { program, command } => vec![Finding {
            fragment: shell::lexical::excerpt(command),
            effect: Found::Opaque {
                program: program.to_string(),
                cwds: vec![Some(shell_cwd.to_path_buf())],
                mentions: shell::lexical::mentions(command, &shell_cwd, env.home.as_deref()),
            },
        }],
        // Another client's tool lanes does not know: an opaque program run in `cwd`.
        Effect::Unknown(tool) => vec![Finding {
            fragment: tool.to_string(),
            effect: Found::Opaque {
                program: format!("the {} tool {tool}", input.client.name().product()),
                cwds: vec![Some(cwd.to_path_buf())],
                mentions: Vec::new(),
            },
        }],
        _ => Vec::new(),
    };
    let primary = policy::find(cwd, explicit);
    let mut eval = match &primary {
        Some(file) => evaluate_under(input, env, opts, cwd, &effect, &findings, file)?,
        None => Evaluation::skipped("no lanes.toml: this project does not use lanes"),
    };
    // Every path is judged by the policy of the project it lies in. Only a path outside the
    // primary project can lie in another one; with no primary policy, every path can.
    let mut reach = reach::Reach::default();
    if primary.is_some() {
        for p in &eval.outside {
            reach.note(p);
        }
    } else {
        match &effect {
            Effect::Files(raw) => {
                for r in raw {
                    if let Ok(abs) = path::absolutize(OsStr::new(r), cwd) {
                        reach.note(&abs);
                    }
                }
            }
            Effect::Shell(_) | Effect::Script { .. } | Effect::Unknown(_) => {
                reach.note_dir(&shell_cwd);
                for f in &findings {
                    reach.note_finding(f);
                }
            }
            // MCP paths are mapped by a policy's `[mcp_tools]`; a spawn names no path.
            Effect::Mcp | Effect::Spawn { .. } | Effect::None => {}
        }
    }
    let mut others = reach.others(primary.as_deref()).into_iter();
    if primary.is_none() {
        // The first project reached takes the primary's place.
        match others.next() {
            Some(file) => eval = evaluate_under(input, env, opts, cwd, &effect, &findings, &file)?,
            None => {
                policy_files_written(&mut eval, input, env, cwd, &effect, &findings);
                return Ok(eval);
            }
        }
    }
    for file in others {
        let other = evaluate_under(input, env, opts, cwd, &effect, &findings, &file)?;
        eval.others.push(other);
    }
    Ok(eval)
}

/// With no policy anywhere the call reaches, nothing is judged, except this: a session that
/// claims a role (`LANES_ROLE`, `agent_type`) may not write a file named `lanes.toml`
/// anywhere, or it could plant a policy above a project that would then govern it.
fn policy_files_written(
    eval: &mut Evaluation,
    input: &HookInput,
    env: &Env,
    cwd: &Path,
    effect: &Effect<'_>,
    findings: &[Finding],
) {
    let claims_role = env.lanes_role.is_some() || input.agent_type.is_some();
    if !claims_role {
        return;
    }
    let mut written: Vec<PathBuf> = Vec::new();
    match effect {
        Effect::Files(raw) => written.extend(
            raw.iter()
                .filter_map(|r| path::absolutize(OsStr::new(r), cwd).ok()),
        ),
        _ => {
            for f in findings {
                match &f.effect {
                    Found::Write {
                        target: Target::Path(p),
                        ..
                    } => written.push(p.clone()),
                    // A program lanes cannot see into may write any path its text names, as
                    // under a policy (where such a mention of a guarded path is denied).
                    Found::Opaque { mentions, .. } | Found::Unparseable { mentions, .. } => {
                        written.extend(mentions.iter().cloned())
                    }
                    _ => {}
                }
            }
        }
    }
    let named = |p: &Path| p.file_name().is_some_and(policy::is_policy_name);
    for p in written {
        // Physical too: a symlink of another name writes the lanes.toml it points to.
        if !named(&p) && !path::resolve(&p).is_ok_and(|real| named(&real)) {
            continue;
        }
        let shown = p.display().to_string();
        let verdict = Verdict::new(
            Rule::Protected {
                pattern: "a lanes policy file".into(),
                builtin: true,
            },
            policy::Mode::Enforce,
        );
        eval.judged.push(Judged {
            reason: Some(format!(
                "lanes blocked {} to {shown}: a session acting as a role may not write a lanes \
                 policy file (lanes.toml) anywhere, since one above a project would govern it.",
                input.tool_name
            )),
            path: Some(shown),
            verdict,
            extra: audit::Extra::default(),
        });
        eval.skipped = None;
    }
}

/// [`evaluate`] under the policy `file`.
fn evaluate_under(
    input: &HookInput,
    env: &Env,
    opts: &Options,
    cwd: &Path,
    effect: &Effect<'_>,
    findings: &[Finding],
    file: &Path,
) -> Result<Evaluation, String> {
    let loaded = if opts.use_cache {
        Policy::load_cached(file)
    } else {
        Policy::load(file).map(policy::Loaded::from)
    };
    let loaded = loaded.map_err(|e| e.to_string())?;
    let eval = judge_call(input, env, cwd, effect, findings, file, &loaded);
    if opts.use_cache {
        // The hook's process ends right after the call: freeing a large policy's thousands
        // of patterns one by one would cost about a tenth of it.
        std::mem::forget(loaded);
    }
    eval
}

/// [`evaluate`] once the policy is loaded.
fn judge_call(
    input: &HookInput,
    env: &Env,
    cwd: &Path,
    effect: &Effect<'_>,
    findings: &[Finding],
    file: &Path,
    loaded: &policy::Loaded,
) -> Result<Evaluation, String> {
    let lanes = loaded.lanes();
    let policy = &loaded.policy;
    let loc = Locator::new(&policy.root, env);
    let claims = role::hook_claims(input.agent_type.as_deref(), env.lanes_role.as_deref());
    let mut actor = role::resolve(policy, &claims);
    // The session's memory is read only when it can matter: to give a subagent or teammate
    // with no role of its own the one it was started under, or when this call may change it
    // (a main agent acting on its `agent_type`, a teammate started by name).
    // The branch is a role source only when some role maps branches; its role is pinned in
    // the memory too.
    let maps_branches = policy.roles.iter().any(|r| !r.branches().is_empty());
    let needed = (input.agent_id.is_some() && matches!(actor, Actor::Unassigned))
        || (input.agent_id.is_none() && actor.source() == RoleSource::AgentType)
        || matches!(effect, Effect::Spawn { name: Some(_), .. })
        || (maps_branches && matches!(actor, Actor::Unassigned));
    let sid = input
        .session_id
        .as_deref()
        .filter(|sid| needed && session::file(&policy.root, sid).is_some());
    let mut memory = sid.map(|sid| session::read(&policy.root, sid));
    let original = memory.clone();
    // A subagent or teammate (it has an `agent_id`) whose own claims name no role acts as
    // the role it was started under, which the session's memory holds.
    if let (Actor::Unassigned, Some(_), Some(m)) = (&actor, &input.agent_id, &memory) {
        let own = input.agent_type.as_deref().and_then(|t| m.teammates.get(t));
        if let Some(name) = own.or(m.role.as_ref()) {
            actor = role::resolve(policy, &[Claim::Named(name, RoleSource::Session)]);
        }
    }
    // Last, the branch the project's checkout has out, through the roles' `branches`: read
    // from `HEAD` (no git process) at the session's first call that needs it, then pinned in
    // its memory, so an agent that switches branches does not switch roles. The memory lives
    // in each checkout, so a session that moves to another one (a `cd`, Codex's `workdir`)
    // takes its pin along instead of reading that checkout's branch. A session lanes cannot
    // remember (no usable `session_id`) reads the branch on every call.
    if matches!(actor, Actor::Unassigned) && maps_branches {
        let pinned = memory
            .as_ref()
            .and_then(|m| m.branch.clone())
            .or_else(|| sid.and_then(|sid| pin_in_another_checkout(&policy.root, sid)));
        let name = match pinned {
            Some(pin) => {
                if let Some(m) = memory.as_mut() {
                    m.branch = Some(pin.clone());
                }
                pin.role
            }
            None => {
                let name = branch_role(&lanes, &policy.root)?.map(|r| r.name.clone());
                if let Some(m) = memory.as_mut() {
                    m.branch = Some(session::BranchPin { role: name.clone() });
                }
                name
            }
        };
        if let Some(name) = name {
            actor = role::resolve(policy, &[Claim::Named(&name, RoleSource::Branch)]);
        }
    }
    let mut eval = Evaluation {
        policy_file: Some(file.to_path_buf()),
        audit_file: policy.audit.as_ref().map(|a| policy.root.join(a.as_path())),
        role: actor.name().map(String::from),
        role_source: actor.source(),
        judged: Vec::new(),
        skipped: None,
        others: Vec::new(),
        outside: Vec::new(),
        remember: None,
    };
    let tool = input.tool_name.as_str();
    match effect {
        Effect::Spawn {
            subagent_type,
            name,
        } => {
            let verdict =
                decide::decide_spawn(policy, &actor, subagent_type.as_deref(), name.as_deref());
            let extra = audit::Extra {
                subagent_type: Some(subagent_type.clone()),
                name: name.clone(),
                ..audit::Extra::default()
            };
            let what = || match name {
                Some(n) => format!(
                    "starting a '{}' subagent named '{n}'",
                    subagent_type.as_deref().unwrap_or("general-purpose")
                ),
                None => format!(
                    "starting a '{}' subagent",
                    subagent_type.as_deref().unwrap_or("general-purpose")
                ),
            };
            eval.judged
                .push(judged(policy, &actor, None, what, verdict, extra));
        }
        Effect::Files(raw) => {
            for r in raw {
                eval.judged
                    .push(judge_path(&loc, &lanes, &actor, cwd, r, tool)?);
            }
        }
        Effect::Mcp => {
            let Some(fields) = policy.mcp_fields(tool) else {
                eval.skipped = Some("an MCP tool that [mcp_tools] does not map");
                return Ok(eval);
            };
            for r in input.paths_in(fields).map_err(|e| e.to_string())? {
                eval.judged
                    .push(judge_path(&loc, &lanes, &actor, cwd, &r, tool)?);
            }
        }
        Effect::Shell(command) | Effect::Script { command, .. } | Effect::Unknown(command) => {
            let judge = BashJudge {
                lanes: &lanes,
                actor: &actor,
                res: path::Resolver::below(policy.root.clone()),
                loc: &loc,
                excerpt: shell::lexical::excerpt(command).into(),
            };
            // Mostly one judged effect per finding: sized once, not grown by doubling.
            eval.judged.reserve(findings.len());
            for finding in findings {
                eval.judged.extend(judge_finding(&judge, finding, command)?);
            }
        }
        Effect::None => unreachable!("returned above"),
    }
    eval.outside = loc.outside.take();
    if let (Some(sid), Some(memory)) = (sid, memory) {
        let updated = remember(memory, input, effect, &actor, &eval, policy);
        if Some(&updated) != original.as_ref() {
            eval.remember = Some((policy.root.clone(), sid.to_string(), updated));
        }
    }
    Ok(eval)
}

/// The branch pin of session `sid` in another checkout of the repository `root` lies in
/// (the first found); asked only while this checkout holds none for the session.
fn pin_in_another_checkout(root: &Path, sid: &str) -> Option<session::BranchPin> {
    checkout::project_in_every_checkout(root)
        .iter()
        .skip(1) // `root` itself, whose memory was read already
        .find_map(|other| session::read(other, sid).branch)
}

/// The role whose `branches` match the branch checked out where `root` lies.
fn branch_role<'p>(lanes: &Lanes<'p>, root: &Path) -> Result<Option<&'p policy::Role>, String> {
    let Some(branch) = checkout::top_of(root).and_then(|top| checkout::branch_of(&top)) else {
        return Ok(None);
    };
    lanes.role_for_branch(&branch).map_err(|e| e.to_string())
}

/// The session's memory after this call: the main agent's role when it came from its
/// `agent_type`, and the role of a teammate it was allowed to start by name.
fn remember(
    mut memory: session::Memory,
    input: &HookInput,
    effect: &Effect<'_>,
    actor: &Actor<'_>,
    eval: &Evaluation,
    policy: &Policy,
) -> session::Memory {
    let Actor::Role(role, source) = actor else {
        return memory;
    };
    if input.agent_id.is_none() && *source == RoleSource::AgentType {
        memory.role = Some(role.name.clone());
    }
    if let Effect::Spawn {
        subagent_type,
        name: Some(name),
    } = effect
    {
        let allowed = eval.judged.iter().all(|j| !j.verdict.blocked);
        let as_role = [subagent_type.as_deref(), Some(name.as_str())]
            .into_iter()
            .flatten()
            .find_map(|t| policy.role_for_agent(t))
            .unwrap_or(role);
        if allowed {
            memory.teammates.insert(name.clone(), as_role.name.clone());
        }
    }
    memory
}

/// `what` describes the effect for a message; it is only written when one is needed.
fn judged(
    policy: &Policy,
    actor: &Actor<'_>,
    path: Option<String>,
    what: impl FnOnce() -> String,
    verdict: Verdict,
    extra: audit::Extra,
) -> Judged {
    let reason = if verdict.blocked {
        Some(render::deny_reason(policy, actor, &what(), &verdict.rule))
    } else if verdict.ask {
        Some(render::ask_reason(policy, actor, &what(), &verdict.rule))
    } else {
        None
    };
    Judged {
        path,
        verdict,
        reason,
        extra,
    }
}

/// A physical path, where it lies, and how to show it.
fn place_of(cx: &BashJudge<'_, '_>, abs: &Path) -> Result<(Place, String), String> {
    let real = cx
        .res
        .resolve(abs)
        .map_err(|e| format!("path {}: {e}", abs.display()))?;
    Ok(cx.loc.locate(&real))
}

/// What judging the findings of one Bash command needs.
struct BashJudge<'a, 'b> {
    lanes: &'a Lanes<'a>,
    actor: &'a Actor<'b>,
    /// Shared by the command's targets, which mostly lie in a few directories.
    res: path::Resolver,
    /// Likewise.
    loc: &'a Locator<'a>,
    /// The command as quoted in each audit line (made once: a command may have hundreds).
    excerpt: std::rc::Rc<str>,
}

/// Judges one finding of a Bash command (see [`shell::Found`]): paths through
/// [`decide::decide`] / [`decide::decide_subtree`], the rest through [`decide::decide_bash`].
/// `None` when the finding changes nothing lanes judges.
fn judge_finding(
    cx: &BashJudge<'_, '_>,
    f: &Finding,
    command: &str,
) -> Result<Option<Judged>, String> {
    let (lanes, actor, res) = (cx.lanes, cx.actor, &cx.res);
    let policy = lanes.policy();
    let frag = &f.fragment;
    let one =
        |path: Option<String>, what: &dyn Fn() -> String, verdict: Verdict, kind: &'static str| {
            let extra = audit::Extra {
                command: Some(cx.excerpt.clone()),
                fragment: (frag != command).then(|| frag.clone()),
                finding: Some(kind),
                opaque: kind == "opaque",
                ..audit::Extra::default()
            };
            judged(policy, actor, path, what, verdict, extra)
        };
    let err = |e: crate::policy::PolicyError| e.to_string();
    Ok(Some(match &f.effect {
        Found::Write {
            target: Target::Path(p),
            kind,
        } => {
            let (real, dir) = res
                .resolve_dir(p)
                .map_err(|e| format!("path {}: {e}", p.display()))?;
            let (place, shown) = cx.loc.locate(&real);
            // `rmdir src`, `chmod g+w src`: a directory is judged as one, for `dir/` patterns.
            let is_dir = dir || *kind == shell::Kind::MakeDir;
            let verdict = decide::decide(lanes, actor, &place, is_dir).map_err(err)?;
            one(
                Some(shown.clone()),
                &|| format!("`{frag}` ({} {shown})", kind.verb()),
                verdict,
                "write",
            )
        }
        Found::Write {
            target: Target::Subtree(p),
            kind,
        } => {
            let (place, shown) = place_of(cx, p)?;
            let verdict = decide::decide_subtree(lanes, actor, &place).map_err(err)?;
            let what = || format!("`{frag}` ({} everything under {shown})", kind.verb());
            one(Some(format!("{shown}/**")), &what, verdict, "subtree")
        }
        Found::Write {
            target: Target::Unknown { prefix },
            kind,
        } => {
            if let Some(p) = prefix {
                let (place, shown) = place_of(cx, p)?;
                let verdict = decide::decide(lanes, actor, &place, true).map_err(err)?;
                if verdict.violation
                    && verdict.rule.is_path_denial()
                    && !matches!(&place, Place::Project(r) if r.is_root())
                {
                    let what = || {
                        format!(
                            "`{frag}` ({} a path under {shown} whose name is only known when it runs)",
                            kind.verb()
                        )
                    };
                    return Ok(Some(one(
                        Some(format!("{shown}/?")),
                        &what,
                        verdict,
                        "unknown",
                    )));
                }
            }
            let verdict = decide::decide_bash(
                policy,
                actor,
                Rule::UnknownTarget {
                    action: policy.bash.unknown_target,
                },
            );
            let what = || {
                format!(
                    "`{frag}` ({} a path that is only known when it runs)",
                    kind.verb()
                )
            };
            one(None, &what, verdict, "unknown")
        }
        Found::Opaque {
            program,
            cwds,
            mentions,
        } => judge_opaque(cx, frag, program, cwds, mentions, &one)?,
        Found::RepoWide {
            certain: false,
            cwds,
        } => {
            let program = frag
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            judge_opaque(cx, frag, &program, cwds, &[], &one)?
        }
        Found::RepoWide {
            certain: true,
            cwds,
        } => {
            // Only a worktree of this project matters; `git -C /elsewhere reset --hard` does not.
            let mut inside = cwds.is_empty() || cwds.iter().any(Option::is_none);
            for c in cwds.iter().flatten() {
                inside |= matches!(place_of(cx, c)?.0, Place::Project(_));
            }
            if !inside {
                return Ok(None);
            }
            let verdict = decide::decide_bash(
                policy,
                actor,
                Rule::RepoWide {
                    action: policy.bash.repo_wide,
                },
            );
            one(
                None,
                &|| format!("`{frag}` (changes files across the whole worktree)"),
                verdict,
                "repo-wide",
            )
        }
        Found::Tamper { what, role } => {
            if let (Some(set), Actor::Role(r, _)) = (role, actor) {
                if r.name == *set || r.agents().contains(set) {
                    return Ok(None); // the session's own role: nothing changes
                }
            }
            let verdict = decide::decide_bash(policy, actor, Rule::Tamper { what: what.clone() });
            one(None, &|| format!("`{frag}` ({what})"), verdict, "tamper")
        }
        Found::Unparseable { why, mentions } => {
            for m in mentions {
                let (place, shown) = place_of(cx, m)?;
                let verdict = decide::decide(lanes, actor, &place, m.is_dir()).map_err(err)?;
                let outside_unsafe = !matches!(place, Place::Project(_)) && !is_scratch(m);
                let verdict = if outside_unsafe && matches!(actor, Actor::Role(..)) {
                    decide::decide_bash(
                        policy,
                        actor,
                        Rule::Unparseable {
                            action: crate::policy::BashAction::Deny,
                        },
                    )
                } else {
                    verdict
                };
                if verdict.violation {
                    let what = || format!("the command `{frag}` ({why}; it names {shown})");
                    return Ok(Some(one(
                        Some(shown.clone()),
                        &what,
                        verdict,
                        "unparseable",
                    )));
                }
            }
            let verdict = decide::decide_bash(
                policy,
                actor,
                Rule::Unparseable {
                    action: policy.bash.unparseable,
                },
            );
            one(
                None,
                &|| format!("the command `{frag}` ({why})"),
                verdict,
                "unparseable",
            )
        }
    }))
}

/// Scratch places outside the project that an unparseable command may name: `/tmp`,
/// `/var/tmp` and devices.
fn is_scratch(p: &Path) -> bool {
    p.starts_with("/tmp") || p.starts_with("/var/tmp") || p.starts_with("/dev")
}

/// Builds the judged entry of one finding: (path, what, verdict, finding kind).
type JudgeOne<'a> =
    dyn Fn(Option<String>, &dyn Fn() -> String, Verdict, &'static str) -> Judged + 'a;

/// An opaque program: denied when it runs in, or names a path in, another role's lane or a
/// protected path; otherwise `[bash] opaque` decides.
fn judge_opaque(
    cx: &BashJudge<'_, '_>,
    frag: &str,
    program: &str,
    cwds: &[Option<PathBuf>],
    mentions: &[PathBuf],
    one: &JudgeOne<'_>,
) -> Result<Judged, String> {
    let (lanes, actor) = (cx.lanes, cx.actor);
    let policy = lanes.policy();
    let err = |e: crate::policy::PolicyError| e.to_string();
    // Whether a path settles the finding is a question of lanes, not of mode: `violation`, not
    // `blocked`, so log mode records the same rule that enforce mode would block with.
    let settles = |v: &Verdict| {
        v.violation
            && matches!(
                v.rule,
                Rule::OtherLane { .. } | Rule::Protected { .. } | Rule::OtherSignal { .. }
            )
    };
    for c in cwds.iter().flatten() {
        let (place, shown) = place_of(cx, c)?;
        let verdict = decide::decide(lanes, actor, &place, true).map_err(err)?;
        if settles(&verdict) {
            let what = || {
                format!(
                    "`{frag}` (runs {program} in {shown}, and lanes cannot see what it writes there)"
                )
            };
            return Ok(one(Some(shown.clone()), &what, verdict, "opaque"));
        }
    }
    for m in mentions {
        let (place, shown) = place_of(cx, m)?;
        let verdict = decide::decide(lanes, actor, &place, m.is_dir()).map_err(err)?;
        if settles(&verdict) {
            let what = || {
                format!("`{frag}` (runs {program}, which lanes cannot see into, and names {shown})")
            };
            return Ok(one(Some(shown.clone()), &what, verdict, "opaque"));
        }
    }
    let verdict = decide::decide_bash(
        policy,
        actor,
        Rule::Opaque {
            program: program.to_string(),
            action: policy.bash.opaque,
        },
    );
    Ok(one(
        None,
        &|| format!("`{frag}` (runs {program}, which lanes cannot see into)"),
        verdict,
        "opaque",
    ))
}

/// Resolves one raw path named by a `tool` call and decides it.
fn judge_path(
    loc: &Locator<'_>,
    lanes: &Lanes<'_>,
    actor: &Actor<'_>,
    cwd: &Path,
    raw: &str,
    tool: &str,
) -> Result<Judged, String> {
    let policy = lanes.policy();
    let abs = path::absolutize(OsStr::new(raw), cwd).map_err(|e| format!("path {raw:?}: {e}"))?;
    let real = path::resolve_below(&policy.root, &abs).map_err(|e| format!("path {raw:?}: {e}"))?;
    let (place, shown) = loc.locate(&real);
    let verdict = decide::decide(lanes, actor, &place, false).map_err(|e| e.to_string())?;
    let what = || format!("{tool} to {shown}");
    Ok(judged(
        policy,
        actor,
        Some(shown.clone()),
        what,
        verdict,
        Default::default(),
    ))
}

/// Where a physical path lies: in the project, in another checkout of the same repository
/// (judged as if it were here), or outside. Returns the place and how to show the path.
/// Other checkouts are looked up only for paths outside the root or below a nested `.git`,
/// so the common case reads nothing more.
/// A path outside that the user's environment `env` guards (see [`crate::guarded`]) is
/// [`Place::Guarded`].
pub fn locate(root: &Path, real: &Path, env: &Env) -> (Place, String) {
    Locator::new(root, env).locate(real)
}

/// [`locate`] for the many paths of one Bash command: whether a directory holds `.git`, and
/// the repository's checkouts, are looked up once per call, not once per path.
struct Locator<'a> {
    root: &'a Path,
    env: &'a Env,
    /// The guarded paths outside the project, made when the first outside path is located.
    guard: OnceCell<guarded::Guard>,
    /// Every physical path located outside the project (and its other checkouts).
    outside: RefCell<Vec<PathBuf>>,
    /// Keyed by the directory's bytes (hashing a `Path` walks its components).
    dot_git: RefCell<HashMap<OsString, bool, FixedState>>,
    checkouts: OnceCell<Vec<PathBuf>>,
}

impl<'a> Locator<'a> {
    fn new(root: &'a Path, env: &'a Env) -> Self {
        Locator {
            root,
            env,
            guard: OnceCell::new(),
            outside: RefCell::default(),
            dot_git: Default::default(),
            checkouts: OnceCell::new(),
        }
    }

    fn has_dot_git(&self, dir: &Path) -> bool {
        if let Some(&known) = self.dot_git.borrow().get(dir.as_os_str()) {
            return known;
        }
        let found = checkout::has_dot_git(dir);
        self.dot_git
            .borrow_mut()
            .insert(dir.as_os_str().to_owned(), found);
        found
    }

    /// [`Locator::locate`] in bytes for the common case: `real` is written plainly below
    /// the root (no `.`, `..`, doubled or trailing `/`; UTF-8) and no directory between
    /// holds `.git`. `None`: not that case.
    fn locate_plain(&self, real: &Path) -> Option<(Place, String)> {
        use std::os::unix::ffi::OsStrExt;
        let full = real.as_os_str().as_bytes();
        let root_len = self.root.as_os_str().len();
        let rel = full
            .strip_prefix(self.root.as_os_str().as_bytes())?
            .strip_prefix(b"/")?;
        if !path::is_normal(rel) {
            return None;
        }
        let shown = std::str::from_utf8(rel).ok()?;
        // The directories between, nearest first, as `ancestors` gives them.
        for (k, _) in rel.iter().enumerate().rev().filter(|(_, &c)| c == b'/') {
            let dir = Path::new(OsStr::from_bytes(&full[..root_len + 1 + k]));
            if self.has_dot_git(dir) {
                return None;
            }
        }
        let rel = RepoPath::new(Path::new(shown))?;
        Some((Place::Project(rel), shown.to_string()))
    }

    fn checkouts(&self) -> &[PathBuf] {
        self.checkouts
            .get_or_init(|| checkout::checkouts_of(self.root))
    }

    fn locate(&self, real: &Path) -> (Place, String) {
        if let Some(found) = self.locate_plain(real) {
            return found;
        }
        let root = self.root;
        if let Some(rel) = RepoPath::from_root(root, real) {
            // A linked worktree nested in the project (`claude --worktree` puts them in
            // `.claude/worktrees/NAME/`) is its own checkout: judge paths against its root.
            for dir in real.ancestors().skip(1).take_while(|d| *d != root) {
                if self.has_dot_git(dir) && self.checkouts().iter().any(|c| c == dir) {
                    if let Some(inner) = RepoPath::from_root(dir, real) {
                        return (Place::Project(inner), real.display().to_string());
                    }
                }
            }
            let shown = rel.to_string();
            return (Place::Project(rel), shown);
        }
        for co in self.checkouts() {
            if let Some(rel) = RepoPath::from_root(co, real) {
                return (Place::Project(rel), real.display().to_string());
            }
        }
        let guard = self.guard.get_or_init(|| {
            let env = self.env;
            // Asked only here: most calls locate no path outside the project.
            let this = std::env::current_exe().ok();
            let exes = guarded::lanes_executables(this.as_deref(), env.path.as_deref());
            guarded::Guard::new(env, &exes, self.root)
        });
        self.outside.borrow_mut().push(real.to_path_buf());
        match guard.reason(real) {
            Some(what) => (Place::Guarded(what), real.display().to_string()),
            None => (Place::Outside, real.display().to_string()),
        }
    }
}

/// Appends one audit line per judged effect, to the audit log of each policy that judged.
/// `ran` is [`audit::Record::ran`] for every line.
fn record(input: &HookInput, eval: &Evaluation, ran: Option<bool>) -> Result<(), String> {
    for other in &eval.others {
        record(input, other, ran)?;
    }
    // Not written, a session's subagents would lose their role: fail closed, as for the log.
    if let Some((root, sid, memory)) = &eval.remember {
        session::write(root, sid, memory).map_err(|e| {
            format!(
                "cannot remember the session's role under {}: {e}",
                root.display()
            )
        })?;
    }
    let Some(file) = &eval.audit_file else {
        return Ok(());
    };
    let ts = audit::now();
    let records: Vec<RecordRef<'_>> = eval
        .judged
        .iter()
        .map(|j| RecordRef {
            ts: &ts,
            session_id: input.session_id.as_deref(),
            agent_id: input.agent_id.as_deref(),
            agent_type: input.agent_type.as_deref(),
            role: eval.role.as_deref(),
            role_source: eval.role_source.as_str(),
            tool: &input.tool_name,
            path: j.path.as_deref(),
            decision: j.verdict.decision(),
            violation: j.verdict.violation,
            rule: &j.verdict.rule,
            ran,
            tool_use_id: input.tool_use_id.as_deref(),
            client: input.client.logged_name(),
            extra: &j.extra,
        })
        .collect();
    audit::append_refs(file, &records)
        .map_err(|e| format!("cannot append to the audit log {}: {e}", file.display()))
}
