//! The client payload table `tests/data/hook_clients.jsonl`: Codex, Copilot CLI and Gemini CLI
//! payloads in their recorded shapes, and every failure path, run through the real binary in a
//! fresh repository each, checking the answer, the form the client blocks on, and the audit log.

mod support;

use serde::Deserialize;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use support::Repo;

const POLICY: &str = r#"
mode = "enforce"
unassigned = "allow"

[roles.builder]
write = ["src/"]
spawn = ["researcher"]
branches = ["build/*"]

[roles.researcher]
write = ["research/"]
agents = ["researcher"]
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    id: String,
    client: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    env: serde_json::Map<String, Value>,
    #[serde(default)]
    setup: Vec<Value>,
    #[serde(default)]
    payload: Option<Value>,
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    open_stdin: bool,
    /// stdin is a directory, so reading it fails (EISDIR).
    #[serde(default)]
    stdin_unreadable: bool,
    /// stdout is `/dev/full`, so an answer written there is lost.
    #[serde(default)]
    stdout_full: bool,
    answer: String,
    #[serde(default)]
    form: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    audit: Option<Vec<(Option<String>, String)>>,
    why: String,
}

fn rows() -> Vec<Row> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hook_clients.jsonl");
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad row {l}: {e}")))
        .collect()
}

fn subst(v: &Value, root: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("$ROOT", root)),
        Value::Array(a) => Value::Array(a.iter().map(|x| subst(x, root)).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), subst(x, root))).collect())
        }
        other => other.clone(),
    }
}

/// Runs one row; `Err` says how the answer differs from the row.
fn check(row: &Row) -> Result<(), String> {
    let repo = Repo::new(POLICY);
    let root = repo.root.to_string_lossy().into_owned();
    for step in &row.setup {
        if let Some(file) = step.get("write").and_then(Value::as_str) {
            std::fs::write(repo.root.join(file), step["text"].as_str().unwrap()).unwrap();
        } else if let Some(b) = step.get("branch").and_then(Value::as_str) {
            repo.git(&["symbolic-ref", "HEAD", &format!("refs/heads/{b}")]);
        } else {
            panic!("unknown set-up step {step}");
        }
    }
    let home = tempfile::tempdir().unwrap();
    let mut cmd = support::lanes();
    cmd.arg("hook");
    if let Some(c) = &row.client {
        cmd.args(["--client", c]);
    }
    cmd.current_dir(&repo.root)
        .env("HOME", home.path())
        .stdin(if row.stdin_unreadable {
            Stdio::from(std::fs::File::open(&repo.root).unwrap())
        } else {
            Stdio::piped()
        })
        .stdout(if row.stdout_full {
            Stdio::from(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
        } else {
            Stdio::piped()
        })
        .stderr(Stdio::piped());
    if let Some(role) = &row.role {
        cmd.env("LANES_ROLE", role);
    }
    for (k, v) in &row.env {
        cmd.env(k, v.as_str().unwrap());
    }
    let mut child = cmd.spawn().unwrap();
    let stdin = child.stdin.take();
    let _open = if row.open_stdin || row.stdin_unreadable {
        stdin
    } else {
        let mut stdin = stdin.unwrap();
        let bytes = match (&row.raw, &row.payload) {
            (Some(raw), _) => raw.clone().into_bytes(),
            (None, Some(p)) => serde_json::to_vec(&subst(p, &root)).unwrap(),
            (None, None) => panic!("row {} has no payload", row.id),
        };
        let _ = stdin.write_all(&bytes);
        None
    };
    let o = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout).trim().to_string(),
        String::from_utf8_lossy(&o.stderr).trim().to_string(),
    );
    let seen = format!(
        "exit {:?}, stdout {stdout:?}, stderr {stderr:?}",
        o.status.code()
    );
    let json = || serde_json::from_str::<Value>(&stdout).map_err(|e| format!("{e}: {seen}"));
    let reason = match (row.answer.as_str(), row.form.as_deref()) {
        ("allow", None) => {
            if o.status.code() != Some(0) || !stdout.is_empty() {
                return Err(format!("want allow, got {seen}"));
            }
            String::new()
        }
        ("deny", Some(form)) => {
            if o.status.code() != Some(0) {
                return Err(format!("want a deny with exit 0, got {seen}"));
            }
            let v = json()?;
            let (decision, reason) = match form {
                "claude" => {
                    let h = &v["hookSpecificOutput"];
                    if h["hookEventName"] != "PreToolUse" {
                        return Err(format!("no hookEventName: {seen}"));
                    }
                    (&h["permissionDecision"], &h["permissionDecisionReason"])
                }
                "gemini" => (&v["decision"], &v["reason"]),
                "camel" => (&v["permissionDecision"], &v["permissionDecisionReason"]),
                f => panic!("row {}: unknown form {f}", row.id),
            };
            if decision != "deny"
                || v.as_object().map_or(0, |m| m.len()) != 1 + usize::from(form != "claude")
            {
                return Err(format!("want a {form} deny, got {seen}"));
            }
            reason.as_str().unwrap_or_default().to_string()
        }
        ("block", Some("universal")) => {
            let v = json()?;
            let want = serde_json::json!({"decision": "block", "reason": stderr});
            if o.status.code() != Some(2) || v != want || stderr.is_empty() {
                return Err(format!("want the universal block, got {seen}"));
            }
            stderr.clone()
        }
        ("block", Some("stderr")) => {
            if o.status.code() != Some(2) || !stdout.is_empty() || stderr.is_empty() {
                return Err(format!("want exit 2 with stderr only, got {seen}"));
            }
            stderr.clone()
        }
        (a, f) => panic!("row {}: unknown answer {a} / form {f:?}", row.id),
    };
    if reason.trim().is_empty() && row.answer != "allow" {
        return Err(format!(
            "an empty reason (Codex and Gemini let those through): {seen}"
        ));
    }
    if let Some(want) = &row.reason {
        if !reason.contains(want.as_str()) {
            return Err(format!("the reason lacks {want:?}: {seen}"));
        }
    }
    if let Some(want) = &row.audit {
        let got: Vec<(Option<String>, String)> = repo
            .audit()
            .iter()
            .map(|r| {
                (
                    r["path"].as_str().map(String::from),
                    r["decision"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        if &got != want {
            return Err(format!("audit records {got:?}, want {want:?}"));
        }
        // Each record names the client that sent the call (the row's id starts with it);
        // Claude Code's records name none.
        let want_client = match row.id.split('-').next().unwrap_or_default() {
            "camel" => Some("copilot"), // Copilot CLI's camelCase form
            "claude" => None,
            sender => Some(sender),
        };
        for r in repo.audit() {
            if r["client"].as_str() != want_client {
                return Err(format!(
                    "audit record names client {}, want {want_client:?}",
                    r["client"]
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn every_client_payload_gets_the_answer_and_form_the_table_gives() {
    let rows = rows();
    let mut failures = Vec::new();
    for row in &rows {
        assert!(!row.why.is_empty(), "row {} says why", row.id);
        if let Err(e) = check(row) {
            failures.push(format!("row {} ({}): {e}", row.id, row.why));
        }
    }
    assert!(rows.len() >= 60, "{} rows", rows.len());
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn each_client_has_every_failure_path_in_the_table() {
    let rows = rows();
    for client in ["codex", "copilot", "gemini"] {
        for kind in [
            "bad-json",
            "missing-field",
            "broken-policy",
            "panic",
            "deadline",
            "wrong-client",
        ] {
            let id = format!("{client}-fail-{kind}");
            assert!(rows.iter().any(|r| r.id == id), "no row {id}");
        }
    }
    // Paths that end before the payload is judged, or after: Claude Code's form too.
    for client in ["claude", "codex", "copilot", "gemini"] {
        for kind in ["stdin-unreadable", "event-twice", "stdout-unwritable"] {
            let id = format!("{client}-fail-{kind}");
            assert!(rows.iter().any(|r| r.id == id), "no row {id}");
        }
    }
}
