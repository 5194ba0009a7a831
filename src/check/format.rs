//! Renders a [`Report`] for people, for tools (JSON) and for GitHub Actions (workflow
//! commands). Each function returns the whole text; the binary prints it once.

use super::{short, Report, Source, Unit, Violation};
use crate::decide::Rule;
use crate::policy::{Mode, Unassigned};
use crate::role::RoleSource;
use std::collections::HashMap;
use std::fmt::Write as _;

/// How many paths of one group the human report lists before it says "and N more".
pub const HUMAN_PATHS_PER_GROUP: usize = 20;

/// How many `::error` annotations the GitHub format writes (GitHub shows only the first few
/// per step anyway); the rest are counted in one last annotation.
pub const GITHUB_ANNOTATIONS: usize = 50;

/// The report for people: for each unit with violations, its role and the offending paths
/// grouped by who owns them ("in the lane of researcher", "protected", "outside every
/// lane"), at most `per_group` paths per group; then a one-line summary.
pub fn human(report: &Report, per_group: usize) -> String {
    let mut out = String::new();
    for (i, unit) in report.units.iter().enumerate() {
        if unit.violations == 0 {
            continue;
        }
        let vs = report.violations_of(i);
        match &unit.commit {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "commit {}: {} may not change {} of its {} paths:",
                    short(c),
                    who(unit),
                    unit.violations,
                    unit.paths
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{} may not commit {} of {} paths:",
                    who(unit),
                    unit.violations,
                    unit.paths
                );
            }
        }
        for (group, members) in groups(report, vs) {
            let _ = writeln!(out, "  {group}:");
            for v in members.iter().take(per_group) {
                let _ = write!(
                    out,
                    "    {:<9} {}",
                    v.status.as_str(),
                    shown(report.path(v))
                );
                if let Some(why) = detail(report.rule(v)) {
                    let _ = write!(out, "  ({why})");
                }
                out.push('\n');
            }
            if members.len() > per_group {
                let _ = writeln!(out, "    ... and {} more", members.len() - per_group);
            }
        }
        out.push('\n');
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// The one-line summary (`lanes check: ...`).
pub fn summary(report: &Report) -> String {
    let paths = report.paths();
    let bad = report.violations.len();
    let what = match &report.source {
        Source::Staged => "staged",
        Source::Range(_) => "changed",
        Source::Files(_) => "named",
    };
    let scope = match &report.source {
        Source::Range(r) => {
            let commits = report.units.len();
            let bad_commits = report.units.iter().filter(|u| u.violations > 0).count();
            if bad == 0 {
                format!(" in {commits} commit{} of {r}", plural(commits))
            } else {
                format!(
                    " in {bad_commits} of {commits} commit{} of {r}",
                    plural(commits)
                )
            }
        }
        _ => String::new(),
    };
    if bad == 0 {
        let who = match (&report.source, report.units.first()) {
            (Source::Range(_), _) | (_, None) => String::new(),
            (_, Some(u)) => format!(" for {}", who(u)),
        };
        return format!(
            "lanes check: {paths} {what} path{}{scope}, all in lane{who}.",
            plural(paths)
        );
    }
    let verdict = match report.mode {
        Mode::Enforce => "refused",
        Mode::Log => "reported only (mode = \"log\")",
    };
    format!(
        "lanes check: {bad} of {paths} {what} path{}{scope} out of lane: {verdict}.",
        plural(paths)
    )
}

/// The report as one JSON object:
/// `{ "ok", "failed", "mode", "policy", "source", "range"?, "paths", "summary",
///    "units": [{ "commit", "role", "role_source", "branch", "paths", "violations" }],
///    "violations": [{ "path", "path_bytes"?, "status", "commit", "role", "role_source",
///                     "group", "rule", "owners" }] }`.
/// `path` is UTF-8 (lossy); `path_bytes` (the raw bytes) is present only when the path is
/// not valid UTF-8. `ok` is true when nothing is out of lane; `failed` mirrors exit status 1.
/// (When the check cannot run, the binary prints `{ "ok": false, "error": MESSAGE }`.)
pub fn json(report: &Report) -> String {
    use serde_json::{json, Map, Value};
    let units: Vec<Value> = report
        .units
        .iter()
        .map(|u| {
            json!({
                "commit": u.commit, "role": u.role, "role_source": u.role_source.as_str(),
                "branch": u.branch, "paths": u.paths, "violations": u.violations,
            })
        })
        .collect();
    let violations: Vec<Value> = report
        .violations
        .iter()
        .map(|v| {
            let u = &report.units[v.unit];
            let mut m = Map::new();
            let path = report.path(v);
            m.insert("path".into(), String::from_utf8_lossy(path).into());
            if std::str::from_utf8(path).is_err() {
                m.insert("path_bytes".into(), path.to_vec().into());
            }
            m.insert("status".into(), v.status.as_str().into());
            m.insert("commit".into(), u.commit.clone().into());
            m.insert("role".into(), u.role.clone().into());
            m.insert("role_source".into(), u.role_source.as_str().into());
            let rule = report.rule(v);
            m.insert("group".into(), group(rule).into());
            m.insert("rule".into(), rule.to_string().into());
            let owners: Vec<String> = match rule {
                Rule::OtherLane { owners, .. } => owners.clone(),
                Rule::OtherSignal { owner } => vec![owner.clone()],
                _ => Vec::new(),
            };
            m.insert("owners".into(), owners.into());
            Value::Object(m)
        })
        .collect();
    let mut top = Map::new();
    top.insert("ok".into(), report.violations.is_empty().into());
    top.insert("failed".into(), report.failed().into());
    top.insert("mode".into(), mode(report.mode).into());
    top.insert(
        "policy".into(),
        report.policy_file.display().to_string().into(),
    );
    let (source, range) = match &report.source {
        Source::Staged => ("staged", None),
        Source::Range(r) => ("range", Some(r.clone())),
        Source::Files(_) => ("files", None),
    };
    top.insert("source".into(), source.into());
    if let Some(r) = range {
        top.insert("range".into(), r.into());
    }
    top.insert("paths".into(), report.paths().into());
    top.insert("summary".into(), summary(report).into());
    top.insert("units".into(), units.into());
    top.insert("violations".into(), violations.into());
    Value::Object(top).to_string()
}

/// GitHub Actions workflow commands: one `::error file=PATH,title=...::MESSAGE` per path
/// out of lane (`::warning` in log mode), at most `limit`, then the summary as a plain
/// line. Values are escaped as GitHub's toolkit does (`%`, CR, LF everywhere; `:` and `,`
/// also in properties).
pub fn github(report: &Report, limit: usize) -> String {
    let level = match report.mode {
        Mode::Enforce => "error",
        Mode::Log => "warning",
    };
    let mut out = String::new();
    for v in report.violations.iter().take(limit) {
        let u = &report.units[v.unit];
        let path = String::from_utf8_lossy(report.path(v));
        let mut msg = format!(
            "{path} is {}; {} may not change it",
            describe(report.rule(v)),
            who(u)
        );
        if let Some(c) = &u.commit {
            let _ = write!(msg, " (commit {})", short(c));
        }
        let _ = writeln!(
            out,
            "::{level} file={},title={}::{}",
            escape_property(&path),
            escape_property("lanes check: out of lane"),
            escape_data(&msg)
        );
    }
    if report.violations.len() > limit {
        let more = report.violations.len() - limit;
        let _ = writeln!(
            out,
            "::{level} title=lanes check::{}",
            escape_data(&format!("{more} more paths out of lane"))
        );
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// An error as a workflow command, so CI shows it as an annotation.
pub fn github_error(message: &str) -> String {
    format!(
        "::error title={}::{}",
        escape_property("lanes check"),
        escape_data(message)
    )
}

/// Escapes a workflow-command message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `role builder (from branch build/x)`, `no role (unassigned)`.
fn who(unit: &Unit) -> String {
    let Some(role) = &unit.role else {
        return "no role (unassigned)".to_string();
    };
    let from = match (unit.role_source, &unit.branch) {
        (RoleSource::Branch, Some(b)) => format!("branch {b}"),
        (RoleSource::Flag, _) => "--role".to_string(),
        (RoleSource::Env, _) => "LANES_ROLE".to_string(),
        (RoleSource::ClaudeCodeAgent, _) => "CLAUDE_CODE_AGENT".to_string(),
        (RoleSource::Trailer, _) => "Lane: trailer".to_string(),
        (s, _) => s.to_string(),
    };
    format!("role {role} (from {from})")
}

/// The group a violation is listed under.
fn group(rule: &Rule) -> String {
    match rule {
        Rule::OtherLane { owners, .. } if owners.len() == 1 => {
            format!("in the lane of {}", owners[0])
        }
        Rule::OtherLane { owners, .. } => format!("in the lanes of {}", owners.join(", ")),
        Rule::Protected { .. } => "protected".to_string(),
        Rule::OtherSignal { owner } => format!("signal file of {owner}"),
        Rule::Unowned => "outside every lane".to_string(),
        Rule::Unassigned(Unassigned::Deny) => "no role, and unassigned = \"deny\"".to_string(),
        other => other.to_string(),
    }
}

/// What the group name leaves out: the pattern that decided.
fn detail(rule: &Rule) -> Option<String> {
    match rule {
        Rule::OtherLane { pattern, .. } => Some(format!("`{pattern}`")),
        Rule::Protected { .. } => Some(rule.to_string()),
        _ => None,
    }
}

/// One phrase: `in the lane of researcher (pattern `research/`)`.
fn describe(rule: &Rule) -> String {
    match detail(rule) {
        Some(d) if !matches!(rule, Rule::Protected { .. }) => {
            format!("{} (pattern {d})", group(rule))
        }
        Some(d) => d,
        None => group(rule),
    }
}

/// The violations under their group names, groups in order of first appearance. Names are
/// worked out once per distinct rule.
fn groups<'v>(report: &Report, vs: &'v [Violation]) -> Vec<(String, Vec<&'v Violation>)> {
    let mut out: Vec<(String, Vec<&Violation>)> = Vec::new();
    let mut slot_of_rule: HashMap<usize, usize> = HashMap::new();
    for v in vs {
        let slot = *slot_of_rule.entry(v.rule).or_insert_with(|| {
            let g = group(report.rule(v));
            match out.iter().position(|(name, _)| *name == g) {
                Some(slot) => slot,
                None => {
                    out.push((g, Vec::new()));
                    out.len() - 1
                }
            }
        });
        out[slot].1.push(v);
    }
    out
}

fn mode(m: Mode) -> &'static str {
    match m {
        Mode::Enforce => "enforce",
        Mode::Log => "log",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A path for a terminal: as is when it is printable UTF-8, else C-quoted the way git
/// quotes names (`"a\nb"`, `"\377.txt"`), so one path is always one line.
pub fn shown(path: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(path) {
        if !s.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return s.to_string();
        }
    }
    let mut out = String::from("\"");
    let mut rest = path;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, &[][..]),
            Err(e) => {
                let (ok, tail) = rest.split_at(e.valid_up_to());
                let len = e.error_len().unwrap_or(tail.len());
                (std::str::from_utf8(ok).expect("checked"), &tail[..len])
            }
        };
        for c in valid.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => {
                    let mut b = [0; 4];
                    for byte in c.encode_utf8(&mut b).bytes() {
                        let _ = write!(out, "\\{byte:03o}");
                    }
                }
                c => out.push(c),
            }
        }
        for byte in bad {
            let _ = write!(out, "\\{byte:03o}");
        }
        rest = &rest[valid.len() + bad.len()..];
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_one_line_and_unambiguous() {
        assert_eq!(shown(b"src/a b.rs"), "src/a b.rs");
        assert_eq!(shown("docs/é.md".as_bytes()), "docs/é.md");
        assert_eq!(shown(b"a\nb"), "\"a\\nb\"");
        assert_eq!(shown(b"x\xffy"), "\"x\\377y\"");
        assert_eq!(shown(b"q\"\\"), "\"q\\\"\\\\\"");
    }

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
