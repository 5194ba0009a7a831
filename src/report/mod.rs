//! `lanes report`: a summary of the audit log per role and session.
//!
//! The log is streamed line by line (one reused buffer, one serde parse per line, no regex),
//! so a log of 100k lines takes a fraction of a second. A line that is not a [`Record`]
//! (a truncated last line after a crash, a hand edit) is skipped and counted with its line
//! number; it never fails the report.

use crate::audit::Record;
use indexmap::IndexMap;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How many malformed line numbers a report keeps (the count is always exact).
pub const MAX_MALFORMED_LINES: usize = 100;

/// How many entries of one list the text and markdown forms show.
const SHOWN: usize = 50;

/// Which records to summarize. Empty filters match everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only records at or after this time.
    pub since: Option<SystemTime>,
    /// Only records of this role (`(unassigned)` selects records without a role).
    pub role: Option<String>,
    /// Only records of this session id.
    pub session: Option<String>,
}

/// Parses `--since`: an RFC 3339 time (`2026-11-24T06:00:00Z`; a date-time without zone is
/// taken as UTC) or a duration before `now` (`2h`, `30min`, `1day 2h`).
///
/// Errors: neither form parses; the message names both accepted forms.
pub fn parse_since(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    let t = text.trim();
    if let Ok(at) = humantime::parse_rfc3339_weak(t) {
        return Ok(at);
    }
    match humantime::parse_duration(t) {
        Ok(d) => Ok(now.checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH)),
        Err(_) => Err(format!(
            "--since {text:?} is neither an RFC 3339 time (2026-11-24T06:00:00Z) nor a duration (2h, 30min, 1day)"
        )),
    }
}

/// The summary of a log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The log file read.
    pub log: PathBuf,
    /// Lines read (including malformed and filtered-out ones).
    pub lines: u64,
    /// Records that passed the filter.
    pub records: u64,
    /// Time of the first and last matching record (RFC 3339, as logged).
    pub first: Option<String>,
    /// See `first`.
    pub last: Option<String>,
    /// Lines that were skipped because they are not audit records.
    pub malformed: Malformed,
    /// One entry per (role, session), in order of first appearance.
    pub groups: Vec<Group>,
}

/// Skipped lines.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Malformed {
    /// How many lines were skipped.
    pub count: u64,
    /// The first [`MAX_MALFORMED_LINES`] of their 1-based line numbers.
    pub lines: Vec<u64>,
}

/// What one role did in one session.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Group {
    /// The role (`None`: unassigned).
    pub role: Option<String>,
    /// The session id (`None` for `lanes check` records).
    pub session: Option<String>,
    /// Records in this group.
    pub records: u64,
    /// First and last record time.
    pub first: String,
    /// See `first`.
    pub last: String,
    /// Paths written (allowed), with how many writes each.
    pub written: Vec<Count>,
    /// Calls denied, with the path (or action) they aimed at and the rule.
    pub denied: Vec<Count>,
    /// Opaque commands run: commands whose writes lanes could not see (`extra.opaque`).
    pub opaque: Vec<Count>,
    /// Out-of-lane writes that log mode let through (`violation` and `allow`).
    pub violations: Vec<Count>,
}

/// An item and how often it occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The path, command or action.
    pub item: String,
    /// The rule that decided (for denials and violations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Occurrences.
    pub count: u64,
}

#[derive(Default)]
struct Acc {
    records: u64,
    first: String,
    last: String,
    written: IndexMap<String, u64>,
    denied: IndexMap<(String, String), u64>,
    opaque: IndexMap<(String, String), u64>,
    violations: IndexMap<(String, String), u64>,
}

/// Summarizes the log read from `input` (named `log` in the report).
///
/// Errors: reading fails (not parsing: malformed lines are skipped and counted).
pub fn summarize(log: &Path, mut input: impl BufRead, filter: &Filter) -> io::Result<Report> {
    let mut report = Report {
        log: log.to_path_buf(),
        ..Report::default()
    };
    let mut groups: IndexMap<(Option<String>, Option<String>), Acc> = IndexMap::new();
    let mut buf = Vec::with_capacity(512);
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        report.lines += 1;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let rec: Record = match serde_json::from_slice(&buf) {
            Ok(r) => r,
            Err(_) => {
                skip(&mut report.malformed, report.lines);
                continue;
            }
        };
        if let Some(since) = filter.since {
            match humantime::parse_rfc3339_weak(&rec.ts) {
                Ok(t) if t >= since => {}
                Ok(_) => continue,
                Err(_) => {
                    skip(&mut report.malformed, report.lines);
                    continue;
                }
            }
        }
        if let Some(role) = &filter.role {
            if rec.role.as_deref().unwrap_or(UNASSIGNED) != role {
                continue;
            }
        }
        if filter.session.is_some() && rec.session_id != filter.session {
            continue;
        }
        report.records += 1;
        if report.first.is_none() {
            report.first = Some(rec.ts.clone());
        }
        report.last = Some(rec.ts.clone());
        let acc = groups
            .entry((rec.role.clone(), rec.session_id.clone()))
            .or_default();
        add(acc, rec);
    }
    report.groups = groups
        .into_iter()
        .map(|((role, session), a)| Group {
            role,
            session,
            records: a.records,
            first: a.first,
            last: a.last,
            written: a
                .written
                .into_iter()
                .map(|(item, count)| Count {
                    item,
                    rule: None,
                    count,
                })
                .collect(),
            denied: counts(a.denied),
            opaque: counts(a.opaque),
            violations: counts(a.violations),
        })
        .collect();
    Ok(report)
}

/// The name reports use for records without a role.
pub const UNASSIGNED: &str = "(unassigned)";

fn skip(m: &mut Malformed, line: u64) {
    m.count += 1;
    if m.lines.len() < MAX_MALFORMED_LINES {
        m.lines.push(line);
    }
}

fn counts(map: IndexMap<(String, String), u64>) -> Vec<Count> {
    map.into_iter()
        .map(|((item, rule), count)| Count {
            item,
            rule: Some(rule),
            count,
        })
        .collect()
}

fn add(acc: &mut Acc, rec: Record) {
    acc.records += 1;
    if acc.first.is_empty() {
        acc.first = rec.ts.clone();
    }
    acc.last = rec.ts;
    let allowed = rec.decision == "allow";
    let opaque = rec
        .extra
        .get("opaque")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let item = match (&rec.path, opaque) {
        (Some(p), _) => p.clone(),
        (None, true) => rec
            .extra
            .get("command")
            .and_then(|c| c.as_str())
            .unwrap_or("(command not recorded)")
            .to_string(),
        (None, false) => match rec.extra.get("subagent_type") {
            Some(serde_json::Value::String(t)) => format!("{} {t}", rec.tool),
            _ => rec.tool.clone(),
        },
    };
    // An opaque command is listed as such, and also as denied (or as a log-mode violation)
    // when the hook decided so.
    if opaque {
        *acc.opaque
            .entry((item.clone(), rec.rule.clone()))
            .or_default() += 1;
    }
    if !allowed {
        *acc.denied.entry((item, rec.rule)).or_default() += 1;
        return;
    }
    if rec.violation {
        *acc.violations.entry((item.clone(), rec.rule)).or_default() += 1;
    }
    if rec.path.is_some() {
        *acc.written.entry(item).or_default() += 1;
    }
}

impl Group {
    fn title(&self) -> String {
        format!(
            "role {} · session {}",
            self.role.as_deref().unwrap_or(UNASSIGNED),
            self.session.as_deref().unwrap_or("(none: lanes check)")
        )
    }
}

impl Report {
    /// The sum of the counts that `list` picks from every group.
    fn total(&self, list: impl Fn(&Group) -> &Vec<Count>) -> u64 {
        self.groups.iter().flat_map(list).map(|c| c.count).sum()
    }

    /// Plain text for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "audit log {}: {}{}",
            self.log.display(),
            plural(self.records, "record"),
            self.span()
        );
        for g in &self.groups {
            let _ = writeln!(
                out,
                "\n{} ({}, {} .. {})",
                g.title(),
                plural(g.records, "record"),
                g.first,
                g.last
            );
            section(&mut out, "files written", &g.written, |c| {
                format!("  {}{}", c.item, times(c.count))
            });
            section(&mut out, "writes denied", &g.denied, with_rule);
            section(
                &mut out,
                "opaque commands (writes not seen by lanes)",
                &g.opaque,
                with_rule,
            );
            section(
                &mut out,
                "violations allowed in log mode",
                &g.violations,
                with_rule,
            );
        }
        out
    }

    /// A completion receipt in GitHub-flavoured markdown, to paste into a pull request.
    pub fn markdown(&self) -> String {
        let mut out = String::from("## lanes completion receipt\n\n");
        let _ = writeln!(
            out,
            "From the audit log `{}`: {}{}.",
            self.log.display(),
            plural(self.records, "record"),
            self.span()
        );
        let denied = self.total(|g| &g.denied);
        let opaque = self.total(|g| &g.opaque);
        let violations = self.total(|g| &g.violations);
        let _ = writeln!(
            out,
            "\n| role | session | files written | writes denied | opaque commands | log-mode violations |\n|---|---|---|---|---|---|"
        );
        for g in &self.groups {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                g.role.as_deref().unwrap_or(UNASSIGNED),
                code(g.session.as_deref().unwrap_or("-")),
                g.written.len(),
                g.denied.iter().map(|c| c.count).sum::<u64>(),
                g.opaque.iter().map(|c| c.count).sum::<u64>(),
                g.violations.iter().map(|c| c.count).sum::<u64>(),
            );
        }
        out.push('\n');
        for g in &self.groups {
            let _ = writeln!(out, "### {}\n", g.title());
            md_list(&mut out, "Files written", &g.written);
            md_list(&mut out, "Writes denied", &g.denied);
            md_list(
                &mut out,
                "Opaque commands (their writes were not checked by lanes)",
                &g.opaque,
            );
            md_list(
                &mut out,
                "Out-of-lane writes allowed in log mode",
                &g.violations,
            );
        }
        out.push_str("### Not verified by lanes\n\n");
        if opaque > 0 {
            let _ = writeln!(out, "- {opaque} opaque command(s): lanes could not tell what they wrote; review their effects in the diff.");
        }
        if violations > 0 {
            let _ = writeln!(out, "- {violations} out-of-lane write(s) were allowed because the policy is in log mode.");
        }
        if denied > 0 {
            let _ = writeln!(out, "- {denied} denied call(s): check that the work they aimed at was done by the owning role.");
        }
        out.push_str("- Writes made outside Claude Code tool calls (editors, scripts, other tools) are not in the audit log; `lanes check` guards commits.\n");
        if self.malformed.count > 0 {
            let _ = writeln!(
                out,
                "- {} malformed log line(s) were skipped.",
                self.malformed.count
            );
        }
        out
    }

    fn span(&self) -> String {
        match (&self.first, &self.last) {
            (Some(a), Some(b)) => format!(" from {a} to {b}"),
            _ => String::new(),
        }
    }

    /// The warning for skipped lines, if any: `skipped 2 malformed lines of LOG: 7, 12`.
    pub fn malformed_warning(&self) -> Option<String> {
        let m = &self.malformed;
        if m.count == 0 {
            return None;
        }
        let nums: Vec<String> = m.lines.iter().map(u64::to_string).collect();
        let more = if m.count as usize > m.lines.len() {
            ", ..."
        } else {
            ""
        };
        Some(format!(
            "skipped {} malformed line(s) of {} (line {}{more})",
            m.count,
            self.log.display(),
            nums.join(", ")
        ))
    }
}

fn plural(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn times(n: u64) -> String {
    if n > 1 {
        format!(" ({n}x)")
    } else {
        String::new()
    }
}

/// A report line for a counted item with the rule that decided it.
fn with_rule(c: &Count) -> String {
    format!(
        "  {}{}  [{}]",
        c.item,
        times(c.count),
        c.rule.as_deref().unwrap_or("")
    )
}

fn section(out: &mut String, title: &str, items: &[Count], line: impl Fn(&Count) -> String) {
    let total: u64 = items.iter().map(|c| c.count).sum();
    let _ = writeln!(
        out,
        "  {title}: {}",
        if items.is_empty() {
            "none".to_string()
        } else {
            total.to_string()
        }
    );
    for c in items.iter().take(SHOWN) {
        let _ = writeln!(out, "  {}", line(c));
    }
    if items.len() > SHOWN {
        let _ = writeln!(out, "    ... and {} more", items.len() - SHOWN);
    }
}

fn md_list(out: &mut String, title: &str, items: &[Count]) {
    if items.is_empty() {
        let _ = writeln!(out, "**{title}:** none\n");
        return;
    }
    let _ = writeln!(out, "**{title}:**\n");
    for c in items.iter().take(SHOWN) {
        let rule = c
            .rule
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(out, "- {}{}{rule}", code(&c.item), times(c.count));
    }
    if items.len() > SHOWN {
        let _ = writeln!(
            out,
            "- ... and {} more (`lanes report --format json` lists all)",
            items.len() - SHOWN
        );
    }
    out.push('\n');
}

/// A markdown code span that survives backticks in the text.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        role: &str,
        session: &str,
        path: Option<&str>,
        decision: &str,
        violation: bool,
        extra: &str,
    ) -> String {
        let path = path.map_or("null".to_string(), |p| format!("{p:?}"));
        format!(
            r#"{{"ts":"2026-11-24T06:00:00.000000Z","session_id":"{session}","agent_id":null,"agent_type":null,"role":"{role}","role_source":"env","tool":"Write","path":{path},"decision":"{decision}","violation":{violation},"rule":"r"{extra}}}"#
        )
    }

    #[test]
    fn groups_counts_and_malformed_lines() {
        let log = [
            line("builder", "s1", Some("src/a.rs"), "allow", false, ""),
            line("builder", "s1", Some("src/a.rs"), "allow", false, ""),
            "{not json".to_string(),
            line("builder", "s1", Some("research/x.md"), "deny", true, ""),
            line(
                "builder",
                "s1",
                None,
                "allow",
                false,
                r#","extra":{"opaque":true,"command":"make gen"}"#,
            ),
            line("researcher", "s2", Some("src/b.rs"), "allow", true, ""),
            String::new(),
            r#"{"ts":"2026-11-24T06:00:01Z","role":"buil"#.to_string(), // truncated, no newline
        ]
        .join("\n");
        let r = summarize(Path::new("log"), log.as_bytes(), &Filter::default()).unwrap();
        assert_eq!((r.lines, r.records), (8, 5));
        assert_eq!(r.malformed.count, 2);
        assert_eq!(r.malformed.lines, [3, 8]);
        let b = &r.groups[0];
        assert_eq!(
            b.written,
            [Count {
                item: "src/a.rs".into(),
                rule: None,
                count: 2
            }]
        );
        assert_eq!(b.denied[0].item, "research/x.md");
        assert_eq!(b.opaque[0].item, "make gen");
        let res = &r.groups[1];
        assert_eq!(res.violations[0].item, "src/b.rs");
        assert_eq!(res.written[0].item, "src/b.rs");
    }

    #[test]
    fn since_accepts_rfc3339_and_durations() {
        let now = humantime::parse_rfc3339("2026-11-24T08:00:00Z").unwrap();
        assert_eq!(
            parse_since("2h", now).unwrap(),
            humantime::parse_rfc3339("2026-11-24T06:00:00Z").unwrap()
        );
        assert_eq!(
            parse_since("2026-11-24T07:00:00Z", now).unwrap(),
            humantime::parse_rfc3339("2026-11-24T07:00:00Z").unwrap()
        );
        assert!(parse_since("yesterday-ish", now)
            .unwrap_err()
            .contains("RFC 3339"));
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("ab"), "`ab`");
    }
}
