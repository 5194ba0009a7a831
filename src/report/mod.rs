//! `lanes report`: what each role did in each session, from the audit logs of every
//! checkout of the repository, and the completion receipt a reviewer reads before merging.
//!
//! Each log is streamed line by line (one reused buffer, one serde parse per line, no
//! regex), so a log of 100k lines takes a fraction of a second. A line that is not a
//! [`Record`] (a truncated last line after a crash, a hand edit) is skipped and counted with
//! its line number; it never fails the report. Counting rules live in [`tally`]; the text
//! summary in `summary`; the receipt, which adds what git and the policy say, in [`receipt`].

pub mod receipt;
mod summary;
pub mod tally;

use crate::audit::Record;
use indexmap::IndexMap;
use serde::Serialize;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tally::{Acc, CommandRun};

/// How many malformed line numbers a report keeps (the count is always exact).
pub const MAX_MALFORMED_LINES: usize = 100;

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

/// The summary of the logs read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The first log file read (this checkout's).
    pub log: PathBuf,
    /// Every log file read, this checkout's first (see `crate::audit::logs_in_every_checkout`).
    pub logs: Vec<PathBuf>,
    /// Lines read (including malformed and filtered-out ones).
    pub lines: u64,
    /// Records that passed the filter.
    pub records: u64,
    /// Time of the first and last matching record (RFC 3339, as logged).
    pub first: Option<String>,
    /// See `first`.
    pub last: Option<String>,
    /// Lines that were skipped because they are not audit records, over all logs.
    pub malformed: Malformed,
    /// One entry per (role, session), in order of first appearance.
    pub groups: Vec<Group>,
    /// The completion receipts, one per group, when asked for (`--format markdown|json`
    /// with a policy): what git, `lanes check` and the signal file say besides the logs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<receipt::Receipt>,
}

/// Skipped lines.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Malformed {
    /// How many lines were skipped.
    pub count: u64,
    /// The first [`MAX_MALFORMED_LINES`] of their 1-based line numbers, in the first log
    /// that had any (`log`).
    pub lines: Vec<u64>,
    /// The log that `lines` number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<PathBuf>,
}

/// What one role did in one session.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Group {
    /// The role (`None`: unassigned).
    pub role: Option<String>,
    /// The session id (`None` for `lanes check` records).
    pub session: Option<String>,
    /// The project root, in the checkout whose audit log holds the group (`None` for a log
    /// named with `--log`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout: Option<PathBuf>,
    /// The session's first prompt, shortened (a UserPromptSubmit line), when recorded.
    pub task: Option<String>,
    /// Records in this group.
    pub records: u64,
    /// First and last record time.
    pub first: String,
    /// See `first`.
    pub last: String,
    /// Paths written by calls that ran (allowed), with how many writes each.
    pub written: Vec<Count>,
    /// Calls lanes denied (they did not run), with the path (or action) and the rule.
    pub denied: Vec<Count>,
    /// Effects lanes asked the user about: whether they ran is the user's answer.
    pub asked: Vec<Count>,
    /// Opaque commands that ran: commands whose writes lanes could not see beforehand
    /// (`extra.opaque`).
    pub opaque: Vec<Count>,
    /// Opaque commands whose effects nothing verified after the run either (no diff from
    /// the client; the rule says why).
    pub opaque_unverified: Vec<Count>,
    /// Out-of-lane writes that log mode let through (`violation` and `allow`).
    pub violations: Vec<Count>,
    /// Files the client's diff showed a command changed in lane (after the run).
    pub changed_after: Vec<Count>,
    /// Files the client's diff showed a command changed out of lane: violations detected
    /// after the run, which nothing could block.
    pub violations_after: Vec<Count>,
    /// Shell commands, with their outcome where the client reported it.
    pub commands: Vec<CommandRun>,
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

/// The name reports use for records without a role.
pub const UNASSIGNED: &str = "(unassigned)";

/// Builds a [`Report`] from one or more logs.
#[derive(Default)]
pub struct Summarizer {
    report: Report,
    groups: Groups,
}

impl Summarizer {
    /// An empty summary.
    pub fn new() -> Summarizer {
        Summarizer::default()
    }

    /// Reads the log `log` from `input`; `checkout` is the project root in the checkout the
    /// log belongs to.
    ///
    /// Errors: reading fails (not parsing: malformed lines are skipped and counted).
    pub fn read(
        &mut self,
        log: &Path,
        checkout: Option<&Path>,
        mut input: impl BufRead,
        filter: &Filter,
    ) -> io::Result<()> {
        let report = &mut self.report;
        if report.logs.is_empty() {
            report.log = log.to_path_buf();
        }
        report.logs.push(log.to_path_buf());
        let mut buf = Vec::with_capacity(512);
        let mut line = 0u64;
        // The lines of one call share its time stamp and are written together: a call is
        // judged whole (a denied call ran in no part), also in logs without `ran`.
        let mut call: Vec<Record> = Vec::new();
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            line += 1;
            report.lines += 1;
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let rec: Record = match serde_json::from_slice(&buf) {
                Ok(r) => r,
                Err(_) => {
                    skip(&mut report.malformed, log, line);
                    continue;
                }
            };
            if let Some(since) = filter.since {
                match humantime::parse_rfc3339_weak(&rec.ts) {
                    Ok(t) if t >= since => {}
                    Ok(_) => continue,
                    Err(_) => {
                        skip(&mut report.malformed, log, line);
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
            // Earliest and latest over every log (RFC 3339 UTC times sort as text).
            if report.first.as_ref().is_none_or(|f| rec.ts < *f) {
                report.first = Some(rec.ts.clone());
            }
            if report.last.as_ref().is_none_or(|l| rec.ts > *l) {
                report.last = Some(rec.ts.clone());
            }
            if call.first().is_some_and(|c| !tally::same_call(c, &rec)) {
                flush(&mut self.groups, &mut call, checkout);
            }
            call.push(rec);
        }
        flush(&mut self.groups, &mut call, checkout);
        Ok(())
    }

    /// The report.
    pub fn finish(mut self) -> Report {
        let mut groups: Vec<(bool, Group)> = self
            .groups
            .into_iter()
            .map(|((role, session), a)| (a.only_task(), a.into_group(role, session)))
            .collect();
        // A prompt may be judged under another role than the session's calls (a session
        // whose role comes from `agent_type` or the branch may have none when it types): its
        // task belongs to every group of the session, and a group holding nothing but the
        // task goes when the session has another.
        let tasks: Vec<(Option<String>, String)> = groups
            .iter()
            .filter_map(|(_, g)| Some((g.session.clone(), g.task.clone()?)))
            .collect();
        for (_, g) in &mut groups {
            if g.task.is_none() {
                g.task = tasks
                    .iter()
                    .find(|(s, _)| *s == g.session)
                    .map(|(_, t)| t.clone());
            }
        }
        let sessions: Vec<Option<String>> = groups
            .iter()
            .filter(|(only, _)| !only)
            .map(|(_, g)| g.session.clone())
            .collect();
        self.report.groups = groups
            .into_iter()
            .filter(|(only, g)| !only || !sessions.contains(&g.session))
            .map(|(_, g)| g)
            .collect();
        self.report
    }
}

type Groups = IndexMap<(Option<String>, Option<String>), Acc>;

/// Counts the lines of one call into its group.
fn flush(groups: &mut Groups, call: &mut Vec<Record>, checkout: Option<&Path>) {
    let Some(first) = call.first() else {
        return;
    };
    let acc = groups
        .entry((first.role.clone(), first.session_id.clone()))
        .or_default();
    if acc.checkout.is_none() {
        acc.checkout = checkout.map(Path::to_path_buf);
    }
    acc.add_call(std::mem::take(call));
}

/// Summarizes the one log read from `input` (named `log` in the report).
///
/// Errors: reading fails (not parsing: malformed lines are skipped and counted).
pub fn summarize(log: &Path, input: impl BufRead, filter: &Filter) -> io::Result<Report> {
    let mut s = Summarizer::new();
    s.read(log, None, input, filter)?;
    Ok(s.finish())
}

fn skip(m: &mut Malformed, log: &Path, line: u64) {
    m.count += 1;
    if m.log.is_none() {
        m.log = Some(log.to_path_buf());
    }
    if m.log.as_deref() == Some(log) && m.lines.len() < MAX_MALFORMED_LINES {
        m.lines.push(line);
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
            m.log.as_deref().unwrap_or(&self.log).display(),
            nums.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One audit line; `ts` tells calls apart (a call's lines share it).
    fn line_at(
        ts: u32,
        role: &str,
        session: &str,
        path: Option<&str>,
        decision: &str,
        violation: bool,
        extra: &str,
    ) -> String {
        let path = path.map_or("null".to_string(), |p| format!("{p:?}"));
        format!(
            r#"{{"ts":"2026-11-24T06:00:00.{ts:06}Z","session_id":"{session}","agent_id":null,"agent_type":null,"role":"{role}","role_source":"env","tool":"Write","path":{path},"decision":"{decision}","violation":{violation},"rule":"r"{extra}}}"#
        )
    }

    fn line(
        role: &str,
        session: &str,
        path: Option<&str>,
        decision: &str,
        violation: bool,
        extra: &str,
    ) -> String {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let ts = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        line_at(ts, role, session, path, decision, violation, extra)
    }

    #[test]
    fn only_what_ran_is_counted() {
        let ask = r#","extra":{"opaque":true,"command":"make gen"}"#;
        let log = [
            // A Bash call denied for one target: its in-lane target was never written.
            line_at(1, "builder", "s1", Some("src/in.rs"), "allow", false, ""),
            line_at(1, "builder", "s1", Some("research/x.md"), "deny", true, ""),
            // The same, in a new log that says so.
            line_at(
                2,
                "builder",
                "s1",
                Some("src/b.rs"),
                "allow",
                false,
                r#","ran":false"#,
            ),
            line_at(
                2,
                "builder",
                "s1",
                None,
                "deny",
                true,
                r#","ran":false,"extra":{"opaque":true,"command":"python3 x.py"}"#,
            ),
            // Asked: not a denial, and not known to have run.
            line_at(3, "builder", "s1", None, "ask", false, ask),
            line_at(4, "builder", "s1", Some("src/ok.rs"), "allow", false, ""),
        ]
        .join("\n");
        let r = summarize(Path::new("log"), log.as_bytes(), &Filter::default()).unwrap();
        let g = &r.groups[0];
        let items = |v: &[Count]| v.iter().map(|c| c.item.clone()).collect::<Vec<_>>();
        assert_eq!(items(&g.written), ["src/ok.rs"]);
        assert_eq!(items(&g.denied), ["research/x.md", "python3 x.py"]);
        assert_eq!(items(&g.asked), ["make gen"]);
        assert!(g.opaque.is_empty(), "{:?}", g.opaque);
    }

    #[test]
    fn an_asked_calls_targets_are_written_only_if_it_ran() {
        let ask = |ts, id: &str, path: &str| {
            [
                line_at(
                    ts,
                    "b",
                    "s1",
                    Some(path),
                    "allow",
                    false,
                    &format!(r#","tool_use_id":"{id}""#),
                ),
                line_at(
                    ts,
                    "b",
                    "s1",
                    None,
                    "ask",
                    false,
                    &format!(r#","tool_use_id":"{id}","extra":{{"command":"c {id}"}}"#),
                ),
            ]
        };
        let after = |ts, id: &str| {
            line_at(
                ts,
                "b",
                "s1",
                None,
                "allow",
                false,
                &format!(
                    r#","ran":true,"tool_use_id":"{id}","extra":{{"event":"PostToolUse","command":"c {id}","outcome":"ok","unverified":"absent"}}"#
                ),
            )
        };
        // t1 was allowed by the user and ran; t2 was refused (no PostToolUse line).
        let mut log = ask(1, "t1", "src/ran.rs").to_vec();
        log.push(after(2, "t1"));
        log.extend(ask(3, "t2", "src/refused.rs"));
        let r = summarize(
            Path::new("log"),
            log.join("\n").as_bytes(),
            &Filter::default(),
        )
        .unwrap();
        let written: Vec<&str> = r.groups[0]
            .written
            .iter()
            .map(|c| c.item.as_str())
            .collect();
        assert_eq!(written, ["src/ran.rs"]);
        assert_eq!(r.groups[0].asked.len(), 2);
    }

    #[test]
    fn a_task_recorded_under_another_role_joins_its_session() {
        let prompt = r#","extra":{"event":"UserPromptSubmit","prompt":"Build it"}"#;
        let log = [
            line_at(1, "(x)", "s1", None, "allow", false, prompt)
                .replace(r#""role":"(x)""#, r#""role":null"#),
            line_at(2, "builder", "s1", Some("src/a.rs"), "allow", false, ""),
        ]
        .join("\n");
        let r = summarize(Path::new("log"), log.as_bytes(), &Filter::default()).unwrap();
        assert_eq!(r.groups.len(), 1, "{:#?}", r.groups);
        assert_eq!(r.groups[0].role.as_deref(), Some("builder"));
        assert_eq!(r.groups[0].task.as_deref(), Some("Build it"));
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
        assert_eq!(summary::code("a`b"), "`` a`b ``");
        assert_eq!(summary::code("ab"), "`ab`");
    }
}
