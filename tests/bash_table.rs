//! The reference's 177-command table (shared/reference/bash-write-targets.md §5) plus our own
//! rows, as data: `tests/data/bash_table.jsonl` and the adversarial tables beside it (every
//! `tests/data/bash_*.jsonl`, one per class of bypass), one JSON object per line with the command,
//! the targets lanes must find (repo-relative; `X/**` a subtree, `X/?` an unknown name under
//! X, `?` unknown, `opaque`, `repo-wide`, `tamper`, `unparseable`) and the decision
//! (`allow`, `ask`, `deny`) for the role `src` in the fixture of `tests/support/bash_fixture.rs`.
//! `ref` is the reference's decision; `note` says why ours differs where it does.
//!
//! Every row whose reference decision is `allow` must stay `allow` (false positives are
//! defects too); rows are also checked through the real binary in `tests/bash_hook.rs`, and run
//! for real in `tests/bash_differential.rs`.

mod support;

use std::path::Path;
use support::bash_fixture::{fixture, judge, rows, Row};

#[test]
fn reference_table_and_own_rows() {
    let fx = fixture();
    assert!(fx.root.join("lanes.toml").exists());
    let rows = rows();
    assert!(rows.len() >= 177, "the table has {} rows", rows.len());
    let mut failures = Vec::new();
    let mut actual_rows = Vec::new();
    for row in &rows {
        let (targets, decision) = judge(&fx, &row.cmd);
        let mut want: Vec<String> = row.targets.clone();
        want.sort();
        if targets != want || decision != row.decision {
            failures.push(format!(
                "row {} `{}`:\n    want {:?} {}\n    got  {:?} {}",
                row.id,
                row.cmd.escape_debug(),
                want,
                row.decision,
                targets,
                decision
            ));
        }
        if row.reference.as_deref() == Some("allow") && decision != "allow" && row.note.is_none() {
            failures.push(format!(
                "row {} is allowed by the reference but {decision} here, with no note",
                row.id
            ));
        }
        actual_rows.push(Row {
            targets,
            decision,
            ..row.clone()
        });
    }
    // The actual results, for reviewing a change to the table.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bash_table.actual.jsonl");
    let text: Vec<String> = actual_rows
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(&out, text.join("\n") + "\n").unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} rows differ (actual: {}):\n{}",
        failures.len(),
        rows.len(),
        out.display(),
        failures.join("\n")
    );
}
