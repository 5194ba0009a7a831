//! `lanes report` as plain text for a terminal, and the small formatting helpers the
//! receipt shares.

use super::{Count, Group, Report, UNASSIGNED};
use std::fmt::Write as _;

/// How many entries of one list the text and markdown forms show.
pub(super) const SHOWN: usize = 50;

impl Report {
    /// Plain text for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "audit log {}: {}{}",
            self.logs_shown(),
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
            if let Some(task) = &g.task {
                let _ = writeln!(out, "  task: {task}");
            }
            section(&mut out, "files written", &g.written, |c| {
                format!("  {}{}", c.item, times(c.count))
            });
            section(
                &mut out,
                "calls denied (they did not run)",
                &g.denied,
                with_rule,
            );
            section(&mut out, "asked the user", &g.asked, with_rule);
            section(
                &mut out,
                "opaque commands (writes not seen by lanes beforehand)",
                &g.opaque,
                with_rule,
            );
            section(
                &mut out,
                "violations allowed in log mode",
                &g.violations,
                with_rule,
            );
            section(
                &mut out,
                "out-of-lane changes detected after the run",
                &g.violations_after,
                with_rule,
            );
            section(
                &mut out,
                "commands whose effects were not verified",
                &g.opaque_unverified,
                with_rule,
            );
        }
        out
    }

    /// The logs read, for a heading: the one log, or `N logs (this checkout's first: LOG)`.
    pub(super) fn logs_shown(&self) -> String {
        match self.logs.len() {
            0 | 1 => self.log.display().to_string(),
            n => format!("{n} logs, one per checkout ({} first)", self.log.display()),
        }
    }

    pub(super) fn span(&self) -> String {
        match (&self.first, &self.last) {
            (Some(a), Some(b)) => format!(" from {a} to {b}"),
            _ => String::new(),
        }
    }
}

impl Group {
    /// The role's name, or [`UNASSIGNED`].
    pub(super) fn role_name(&self) -> &str {
        self.role.as_deref().unwrap_or(UNASSIGNED)
    }
}

pub(super) fn plural(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

pub(super) fn times(n: u64) -> String {
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

/// A markdown list of counted items under a bold title (`none` when empty).
pub(super) fn md_list(out: &mut String, title: &str, items: &[Count]) {
    if items.is_empty() {
        let _ = writeln!(out, "**{title}:** none\n");
        return;
    }
    let _ = writeln!(out, "**{title}:**\n");
    for c in items.iter().take(SHOWN) {
        let rule = c
            .rule
            .as_deref()
            .filter(|r| !r.is_empty())
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
pub(super) fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}
