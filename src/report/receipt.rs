//! The completion receipt: per role and session, what a reviewer needs before merging.
//!
//! The audit logs say what the session did through tool calls ([`super::Group`]); this adds
//! what git says about the checkout the session worked in (branch, HEAD, the base it is
//! compared with, the files changed since), the `lanes check` verdict on the commits since
//! the base, the role's signal file, the lanes version and the policy's git blob id, and
//! ends with the exact things to review. Facts that cannot be gathered (no git, no base)
//! are left out and said so in `notes`; they never fail the report.
//!
//! The base is the branch the main checkout has out (its merge base with HEAD): worktrees
//! branch off it and merge back into it. A session in the main checkout itself has no base;
//! its git changes are those not yet committed.

use super::summary::{code, md_list, plural, SHOWN};
use super::tally::{unverified_text, CommandRun};
use super::{Count, Group, Report};
use crate::check;
use crate::checkout;
use crate::env::Env;
use crate::git::Git;
use crate::policy::Policy;
use crate::signal;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

/// The receipt of one (role, session) group.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Receipt {
    /// The role (`None`: unassigned).
    pub role: Option<String>,
    /// The session id.
    pub session: Option<String>,
    /// The session's first prompt, shortened (UserPromptSubmit), when recorded.
    pub task: Option<String>,
    /// The checkout the session worked in, relative to the main checkout (`.` for itself).
    pub worktree: Option<String>,
    /// The branch it has out (`None`: detached, or not a git checkout).
    pub branch: Option<String>,
    /// Its HEAD commit.
    pub head: Option<String>,
    /// What HEAD is compared with.
    pub base: Option<Base>,
    /// Files that differ from the base in the checkout (committed or not), from git.
    pub git_changes: Vec<GitChange>,
    /// Files the audit log shows the session wrote or changed.
    pub audit_files: Vec<String>,
    /// Shell commands, with their outcome where the client reported it.
    pub commands: Vec<CommandRun>,
    /// The test commands among them.
    pub tests: Vec<String>,
    /// Out-of-lane attempts lanes denied (they did not run).
    pub denied: Vec<Count>,
    /// Effects lanes asked the user about.
    pub asked: Vec<Count>,
    /// Out-of-lane changes detected after the run (from the client's diff).
    pub violations_after: Vec<Count>,
    /// Out-of-lane writes let through in log mode.
    pub violations_log_mode: Vec<Count>,
    /// Opaque commands whose effects lanes could not verify.
    pub opaque_unverified: Vec<Count>,
    /// `lanes check` on the commits since the base, as this role.
    pub check: Option<CheckVerdict>,
    /// The role's signal file, in the checkout.
    pub signal: Option<SignalFacts>,
    /// The lanes version making the receipt.
    pub lanes_version: &'static str,
    /// The policy in the checkout.
    pub policy: Option<PolicyFacts>,
    /// What to review before merging, in order.
    pub review: Vec<String>,
    /// Facts that could not be gathered, and why.
    pub notes: Vec<String>,
}

/// The base HEAD is compared with.
#[derive(Debug, Clone, Serialize)]
pub struct Base {
    /// The branch named (the main checkout's).
    pub branch: String,
    /// Its merge base with HEAD.
    pub commit: String,
}

/// One file git lists as changed since the base.
#[derive(Debug, Clone, Serialize)]
pub struct GitChange {
    /// `added`, `modified`, `deleted`, `untracked`, ...
    pub status: &'static str,
    /// Relative to the top of the checkout.
    pub path: String,
    /// True when a tool call of this session is recorded as writing or changing it.
    pub in_audit: bool,
}

/// `lanes check --range BASE..HEAD --role ROLE` in the checkout.
#[derive(Debug, Clone, Serialize)]
pub struct CheckVerdict {
    /// The range judged.
    pub range: String,
    /// How `lanes check` judged the range.
    pub verdict: Verdict,
    /// Commits judged.
    pub commits: usize,
    /// Out-of-lane paths as `lanes check` prints them.
    pub violations: Vec<String>,
}

/// How `lanes check` judged the commits since the base; serialized in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No path out of lane.
    Pass,
    /// Paths out of lane, and the policy enforces.
    Fail,
    /// Paths out of lane in a log-mode policy.
    Log,
    /// `lanes check` could not run (the reason is in the receipt's notes).
    Error,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Log => "log",
            Verdict::Error => "error",
        })
    }
}

/// The signal file's state.
#[derive(Debug, Clone, Serialize)]
pub struct SignalFacts {
    /// Relative to the project root.
    pub file: String,
    /// `absent`, `empty`, `incomplete: lacks ...`, `settling: ...`, `complete`.
    pub state: String,
}

/// The policy that judged the session.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyFacts {
    /// The policy file in the checkout.
    pub file: PathBuf,
    /// Its git blob id as it is on disk (`git hash-object lanes.toml` recomputes it). Agents
    /// cannot write the policy (it is always protected), so it is the one their calls met
    /// unless a person changed it; `git log BASE..HEAD -- lanes.toml` shows whether one did.
    pub blob: Option<String>,
}

/// One receipt per group of `report`. `policy` gives roles, signal files and the checks;
/// `env` is passed to `lanes check` (which takes the role from the receipt, not from it).
pub fn receipts(report: &Report, policy: &Policy, env: &Env) -> Vec<Receipt> {
    report
        .groups
        .iter()
        .map(|g| receipt(g, policy, env))
        .collect()
}

/// The facts of `g` the audit log alone gives: the role, session, task, files written or
/// changed, commands and tests, denied and asked calls, violations and unverified commands.
fn from_audit(g: &Group) -> Receipt {
    let mut audit_files: Vec<String> = Vec::new();
    for c in g
        .written
        .iter()
        .chain(&g.changed_after)
        .chain(&g.violations_after)
    {
        if !audit_files.contains(&c.item) {
            audit_files.push(c.item.clone());
        }
    }
    Receipt {
        role: g.role.clone(),
        session: g.session.clone(),
        task: g.task.clone(),
        audit_files,
        commands: g.commands.clone(),
        tests: g
            .commands
            .iter()
            .filter(|c| c.test)
            .map(|c| c.command.clone())
            .collect(),
        denied: g.denied.clone(),
        asked: g.asked.clone(),
        violations_after: g.violations_after.clone(),
        violations_log_mode: g.violations.clone(),
        opaque_unverified: g.opaque_unverified.clone(),
        lanes_version: env!("CARGO_PKG_VERSION"),
        ..Receipt::default()
    }
}

fn receipt(g: &Group, policy: &Policy, env: &Env) -> Receipt {
    let project = g.checkout.clone().unwrap_or_else(|| policy.root.clone());
    let top = checkout::top_of(&project);
    let mut r = from_audit(g);
    let Some(top) = top else {
        r.notes
            .push(format!("{} is not in a git checkout", project.display()));
        r.review = review(&r);
        return r;
    };
    let main = checkout::main_of(&top);
    r.worktree = Some(match &main {
        Some(m) => relative(m, &top),
        None => top.display().to_string(),
    });
    r.branch = checkout::branch_of(&top);
    let git = Git::new(&top);
    let note = |r: &mut Receipt, what: &str, e: &dyn std::fmt::Display| {
        r.notes.push(format!("{what}: {e}"));
    };
    match git.commit_id("HEAD") {
        Ok(h) => r.head = h,
        Err(e) => note(&mut r, "HEAD", &e),
    }
    let base_branch = main
        .as_deref()
        .filter(|m| *m != top)
        .and_then(checkout::branch_of);
    if let (Some(b), Some(head)) = (&base_branch, &r.head) {
        match git.merge_base(head, b) {
            Ok(Some(commit)) => {
                r.base = Some(Base {
                    branch: b.clone(),
                    commit,
                })
            }
            Ok(None) => r.notes.push(format!("HEAD shares no history with {b}")),
            Err(e) => note(&mut r, "merge base", &e),
        }
    }
    // Audit paths are relative to the project root; git's to the checkout's top.
    let offset = project
        .strip_prefix(&top)
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let against = r.base.as_ref().map(|b| b.commit.clone()).or(r.head.clone());
    if let Some(against) = &against {
        match git.changed_since(against) {
            Ok(list) => {
                r.git_changes = list
                    .into_iter()
                    .map(|(status, path)| {
                        let rel = Path::new(&path)
                            .strip_prefix(&offset)
                            .map(|p| p.to_string_lossy().into_owned())
                            .unwrap_or_else(|_| path.clone());
                        GitChange {
                            status,
                            in_audit: r.audit_files.contains(&rel),
                            path,
                        }
                    })
                    .collect()
            }
            Err(e) => note(&mut r, "files changed", &e),
        }
    }
    if let (Some(base), Some(head)) = (&r.base, &r.head) {
        r.check = Some(check_verdict(
            &project,
            env,
            &g.role,
            &base.commit,
            head,
            &mut r.notes,
        ));
    }
    if let Some(role) = g.role.as_deref().and_then(|n| policy.role(n)) {
        if let Some(sig) = &role.signal {
            let file = project.join(sig.as_path());
            let state = match signal::check(&file, role.signal_requires(), signal::DEFAULT_SETTLE) {
                Ok(s) => s.describe(),
                Err(e) => format!("unreadable: {e}"),
            };
            r.signal = Some(SignalFacts {
                file: sig.to_string(),
                state,
            });
        }
    }
    let rel = policy
        .file
        .strip_prefix(&policy.root)
        .unwrap_or(Path::new(crate::policy::POLICY_FILE));
    let file = project.join(rel);
    r.policy = Some(PolicyFacts {
        blob: git.hash_object(&file).ok().flatten(),
        file,
    });
    r.review = review(&r);
    r
}

fn check_verdict(
    project: &Path,
    env: &Env,
    role: &Option<String>,
    base: &str,
    head: &str,
    notes: &mut Vec<String>,
) -> CheckVerdict {
    let range = format!("{base}..{head}");
    let opts = check::Options {
        policy: None,
        role: role.clone(),
        branch: None,
        source: check::Source::Range(range.clone()),
    };
    // The role comes from the receipt: the reviewer's own LANES_ROLE must not decide.
    let env = Env {
        lanes_role: None,
        claude_code_agent: None,
        ..env.clone()
    };
    match check::run(project, &env, &opts) {
        Ok(rep) => {
            let violations = rep
                .violations
                .iter()
                .map(|v| format!("{} ({})", String::from_utf8_lossy(rep.path(v)), rep.rule(v)))
                .collect();
            CheckVerdict {
                range,
                verdict: if rep.failed() {
                    Verdict::Fail
                } else if rep.violations.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Log
                },
                commits: rep.units.len(),
                violations,
            }
        }
        Err(e) => {
            notes.push(format!("lanes check --range {range}: {e}"));
            CheckVerdict {
                range,
                verdict: Verdict::Error,
                commits: 0,
                violations: Vec::new(),
            }
        }
    }
}

/// The path of `to` as seen from `from` (both absolute): `.`, `sub/dir` or `../wt`.
fn relative(from: &Path, to: &Path) -> String {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out.to_string_lossy().into_owned()
    }
}

/// The things to review before merging, most pressing first.
fn review(r: &Receipt) -> Vec<String> {
    let mut out = Vec::new();
    for v in &r.violations_after {
        out.push(format!(
            "Restore or hand over `{}`: a command changed it out of lane ({}).",
            v.item,
            v.rule.as_deref().unwrap_or("")
        ));
    }
    for v in &r.violations_log_mode {
        out.push(format!(
            "`{}` was written out of lane and allowed because the policy is in log mode ({}).",
            v.item,
            v.rule.as_deref().unwrap_or("")
        ));
    }
    if let Some(c) = &r.check {
        match c.verdict {
            Verdict::Fail | Verdict::Log => out.push(format!(
                "`lanes check --range {}` finds {} out of lane: {}.",
                c.range,
                plural(c.violations.len() as u64, "path"),
                c.violations.join("; ")
            )),
            Verdict::Error => out.push(format!(
                "`lanes check --range {}` could not run (see notes).",
                c.range
            )),
            Verdict::Pass => {}
        }
    }
    for o in &r.opaque_unverified {
        out.push(format!(
            "Read what `{}` changed: lanes could not verify it ({}).",
            o.item,
            o.rule.as_deref().unwrap_or("")
        ));
    }
    for c in &r.git_changes {
        if !c.in_audit {
            out.push(format!(
                "`{}` ({}) changed in git, but no tool call of this session is recorded writing it.",
                c.path, c.status
            ));
        }
    }
    for c in &r.git_changes {
        if c.status == "untracked" {
            out.push(format!(
                "`{}` is not committed: commit it or remove it.",
                c.path
            ));
        }
    }
    for c in &r.commands {
        if let Some(o) = c.outcome.as_deref().filter(|o| *o != "ok") {
            out.push(format!("`{}` ended with: {o}.", c.command));
        }
    }
    if r.tests.is_empty() && !r.commands.is_empty() {
        out.push("No test command ran in this session.".into());
    }
    if !r.denied.is_empty() {
        out.push(format!(
            "{} denied: check that the work they aimed at was done by the owning role.",
            plural(r.denied.iter().map(|c| c.count).sum(), "attempt")
        ));
    }
    if let Some(s) = r.signal.as_ref().filter(|s| s.state != "complete") {
        out.push(format!(
            "The signal file `{}` is {}: the handoff is not complete.",
            s.file, s.state
        ));
    }
    for n in &r.notes {
        out.push(format!("Not gathered: {n}."));
    }
    if let (Some(b), Some(h)) = (&r.base, &r.head) {
        out.push(format!(
            "The whole diff: `git diff {}..{}` (writes outside tool calls are in it, not in the audit).",
            short(&b.commit),
            short(h)
        ));
    }
    out
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

impl Report {
    /// The completion receipt in GitHub-flavoured markdown, to paste into a pull request:
    /// one section per role and session, each ending with what to review before merging.
    /// Without receipts (no policy: `--log`), only what the audit logs say.
    pub fn markdown(&self) -> String {
        let mut out = String::from("## lanes completion receipt\n\n");
        let _ = writeln!(
            out,
            "lanes {} · from {}: {}{}.\n",
            env!("CARGO_PKG_VERSION"),
            self.logs_shown(),
            plural(self.records, "record"),
            self.span()
        );
        for (i, g) in self.groups.iter().enumerate() {
            let _ = writeln!(
                out,
                "### role {} · session {}\n",
                g.role_name(),
                code(g.session.as_deref().unwrap_or("-"))
            );
            match self.receipts.get(i) {
                Some(r) => receipt_md(&mut out, r),
                None => audit_md(&mut out, g),
            }
        }
        if self.malformed.count > 0 {
            let _ = writeln!(
                out,
                "{} malformed log line(s) were skipped.",
                self.malformed.count
            );
        }
        out
    }
}

/// A group's section from the audit alone.
fn audit_md(out: &mut String, g: &Group) {
    let mut r = from_audit(g);
    r.notes.push(
        "no policy was given, so git, `lanes check` and the signal file were not read".into(),
    );
    let r = Receipt {
        review: review(&r),
        ..r
    };
    receipt_md(out, &r);
}

fn receipt_md(out: &mut String, r: &Receipt) {
    let or = |v: &Option<String>, none: &str| v.as_deref().map_or(none.to_string(), code);
    let _ = writeln!(
        out,
        "- **Task:** {}",
        r.task.as_deref().map_or(
            "(not recorded: no UserPromptSubmit line)".to_string(),
            |t| format!("“{}”", t.replace('\n', " "))
        )
    );
    let _ = writeln!(
        out,
        "- **Role:** {}",
        r.role.as_deref().unwrap_or(super::UNASSIGNED)
    );
    let _ = writeln!(out, "- **Branch:** {}", or(&r.branch, "(none)"));
    let _ = writeln!(out, "- **Worktree:** {}", or(&r.worktree, "(unknown)"));
    let _ = writeln!(
        out,
        "- **HEAD:** {}",
        r.head
            .as_deref()
            .map_or("(none)".into(), |h| code(short(h)))
    );
    let _ = writeln!(
        out,
        "- **Base:** {}",
        match (&r.base, &r.head) {
            (Some(b), _) => format!("{} at {}", code(&b.branch), code(short(&b.commit))),
            (None, Some(_)) => "(none: the main checkout, or its HEAD is detached; git changes \
                                are those not yet committed)"
                .into(),
            (None, None) => "(none)".into(),
        }
    );
    let _ = writeln!(
        out,
        "- **lanes:** {} · **policy:** {}\n",
        r.lanes_version,
        r.policy.as_ref().map_or("(not read)".into(), |p| format!(
            "{} (git blob {})",
            code(
                &p.file
                    .file_name()
                    .unwrap_or(p.file.as_os_str())
                    .to_string_lossy()
            ),
            p.blob.as_deref().map_or("unknown".into(), code)
        ))
    );
    out.push_str("#### Files changed\n\n");
    if r.git_changes.is_empty() {
        out.push_str("**From git:** none\n\n");
    } else {
        out.push_str("**From git:**\n\n");
        for c in r.git_changes.iter().take(SHOWN) {
            let mark = if c.in_audit {
                ""
            } else {
                " — not in the audit"
            };
            let _ = writeln!(out, "- {} ({}){mark}", code(&c.path), c.status);
        }
        more(out, r.git_changes.len());
    }
    let audit: Vec<Count> = r
        .audit_files
        .iter()
        .map(|f| Count {
            item: f.clone(),
            rule: None,
            count: 1,
        })
        .collect();
    md_list(out, "From the audit", &audit);
    out.push_str("#### Commands\n\n");
    if r.commands.is_empty() {
        out.push_str("none recorded\n\n");
    } else {
        for c in r.commands.iter().take(SHOWN) {
            let outcome = c.outcome.as_deref().unwrap_or("outcome not reported");
            let mut tags = Vec::new();
            if c.test {
                tags.push("test".to_string());
            }
            if let Some(n) = c.changed.filter(|n| *n > 0) {
                tags.push(format!("changed {}", plural(n, "file")));
            }
            if let Some(u) = &c.unverified {
                tags.push(format!("effects not verified: {}", unverified_text(u)));
            }
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!(" ({})", tags.join("; "))
            };
            let _ = writeln!(out, "- {} — {outcome}{tags}", code(&c.command));
        }
        more(out, r.commands.len());
    }
    let tests: Vec<Count> = r
        .tests
        .iter()
        .map(|t| Count {
            item: t.clone(),
            rule: None,
            count: 1,
        })
        .collect();
    md_list(out, "Test commands", &tests);
    out.push_str("#### Out of lane\n\n");
    md_list(out, "Denied attempts (they did not run)", &r.denied);
    md_list(out, "Asked the user", &r.asked);
    md_list(out, "Changes detected after the run", &r.violations_after);
    md_list(out, "Allowed in log mode", &r.violations_log_mode);
    md_list(out, "Opaque commands not verified", &r.opaque_unverified);
    out.push_str("#### lanes check\n\n");
    match &r.check {
        Some(c) => {
            let _ = writeln!(
                out,
                "`lanes check --range {}` as this role: **{}** ({}){}\n",
                c.range,
                c.verdict,
                plural(c.commits as u64, "commit"),
                if c.violations.is_empty() {
                    String::new()
                } else {
                    format!(": {}", c.violations.join("; "))
                }
            );
        }
        None => out.push_str("not run (no base to compare with)\n\n"),
    }
    out.push_str("#### Signal file\n\n");
    match &r.signal {
        Some(s) => {
            let _ = writeln!(out, "{}: **{}**\n", code(&s.file), s.state);
        }
        None => out.push_str("none (the role has no `signal`)\n\n"),
    }
    out.push_str("#### Before merging, review\n\n");
    if r.review.is_empty() {
        out.push_str("nothing beyond the diff\n");
    }
    for (i, item) in r.review.iter().enumerate() {
        let _ = writeln!(out, "{}. {item}", i + 1);
    }
    out.push('\n');
}

fn more(out: &mut String, len: usize) {
    if len > SHOWN {
        let _ = writeln!(
            out,
            "- ... and {} more (`lanes report --format json` lists all)",
            len - SHOWN
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worktrees_are_shown_relative_to_the_main_checkout() {
        assert_eq!(relative(Path::new("/r/main"), Path::new("/r/main")), ".");
        assert_eq!(relative(Path::new("/r/main"), Path::new("/r/wt")), "../wt");
        assert_eq!(
            relative(
                Path::new("/r/main"),
                Path::new("/r/main/.claude/worktrees/a")
            ),
            ".claude/worktrees/a"
        );
    }

    fn run(command: &str, test: bool) -> CommandRun {
        CommandRun {
            command: command.into(),
            outcome: Some("ok".into()),
            changed: None,
            unverified: None,
            opaque: false,
            test,
        }
    }

    fn check(verdict: Verdict, violations: &[&str]) -> Option<CheckVerdict> {
        Some(CheckVerdict {
            range: "a..b".into(),
            verdict,
            commits: 1,
            violations: violations.iter().map(|v| v.to_string()).collect(),
        })
    }

    /// The review lines the end-to-end receipt (tests/receipt.rs) does not reach: a log-mode
    /// verdict, a check that could not run, a session without tests, an incomplete handoff,
    /// facts not gathered; and a passing check adds nothing.
    #[test]
    fn review_names_each_open_point() {
        let r = Receipt {
            check: check(
                Verdict::Log,
                &["research/x.md (lane of researcher: research/)"],
            ),
            commands: vec![run("make", false)],
            signal: Some(SignalFacts {
                file: "research/DONE.md".into(),
                state: "absent".into(),
            }),
            notes: vec!["merge base: git failed".into()],
            ..Receipt::default()
        };
        assert_eq!(
            review(&r),
            [
                "`lanes check --range a..b` finds 1 path out of lane: research/x.md (lane of \
                 researcher: research/).",
                "No test command ran in this session.",
                "The signal file `research/DONE.md` is absent: the handoff is not complete.",
                "Not gathered: merge base: git failed.",
            ]
        );
        let r = Receipt {
            check: check(Verdict::Error, &[]),
            ..Receipt::default()
        };
        assert_eq!(
            review(&r),
            ["`lanes check --range a..b` could not run (see notes)."]
        );
        let r = Receipt {
            check: check(Verdict::Pass, &[]),
            commands: vec![run("cargo test", true)],
            tests: vec!["cargo test".into()],
            ..Receipt::default()
        };
        assert!(review(&r).is_empty(), "{:?}", review(&r));
    }
}
