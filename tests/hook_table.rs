//! The adversarial hook table `tests/data/hook_bypass.jsonl`: calls that tried to write into
//! another role's lane or to turn lanes off, by class, each with the verdict lanes gives and
//! why, run through the real binary in a fresh repository each.

mod support;

use serde::Deserialize;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use support::Repo;

const POLICY: &str = r#"
mode = "enforce"
unassigned = "allow"

[roles.researcher]
write = ["research/"]
agents = ["researcher", "scout"]
signal = "research/DONE.md"

[roles.builder]
write = ["src/"]
spawn = ["reviewer"]

[roles.reviewer]
write = ["reviews/"]
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    id: String,
    class: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    agent_type: Option<String>,
    #[serde(default)]
    agent_id: Option<String>,
    #[serde(default)]
    setup: Vec<Value>,
    #[serde(default)]
    env: serde_json::Map<String, Value>,
    #[serde(default)]
    cwd: Option<String>,
    tool: String,
    input: Value,
    decision: String,
    why: String,
}

fn rows() -> Vec<Row> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hook_bypass.jsonl");
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad row {l}: {e}")))
        .collect()
}

/// The places a row's text may name.
struct Places {
    root: PathBuf,
    out: PathBuf,
    home: PathBuf,
}

impl Places {
    fn subst(&self, s: &str) -> String {
        let deep = format!("src/{}x", "a/".repeat(10_000));
        s.replace("$ROOT/src/DEEP", &self.root.join(deep).to_string_lossy())
            .replace("$ROOT", &self.root.to_string_lossy())
            .replace("$OUT", &self.out.to_string_lossy())
            .replace("$HOME", &self.home.to_string_lossy())
            .replace("$EXE", env!("CARGO_BIN_EXE_lanes"))
    }

    fn value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.subst(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.value(x)).collect()),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), self.value(x))).collect())
            }
            other => other.clone(),
        }
    }

    /// A path of a set-up step: absolute after substitution, or relative to the root.
    fn path(&self, s: &str) -> PathBuf {
        self.root.join(self.subst(s))
    }
}

fn set_up(places: &Places, step: &Value) {
    let text = |k: &str| step[k].as_str().unwrap_or_default();
    if let Some(file) = step.get("write").and_then(Value::as_str) {
        let path = places.path(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text("text")).unwrap();
    } else if let Some([target, link]) = step
        .get("link")
        .and_then(Value::as_array)
        .map(|a| [0, 1].map(|i| a[i].as_str().unwrap().to_string()))
    {
        let link = places.path(&link);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(places.subst(&target), link).unwrap();
    } else if let Some(fifo) = step.get("fifo").and_then(Value::as_str) {
        let made = std::process::Command::new("mkfifo")
            .arg(places.path(fifo))
            .status()
            .unwrap();
        assert!(made.success());
    } else {
        panic!("unknown set-up step {step}");
    }
}

/// What the hook answered: allow, deny, ask or block.
fn run(row: &Row) -> (String, String) {
    let repo = Repo::new(POLICY);
    let out = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let places = Places {
        root: repo.root.clone(),
        out: out.path().canonicalize().unwrap(),
        home: home.path().canonicalize().unwrap(),
    };
    std::fs::create_dir_all(places.root.join("reviews")).unwrap();
    for step in &row.setup {
        set_up(&places, step);
    }
    let cwd = row
        .cwd
        .as_deref()
        .map_or(places.root.to_string_lossy().into_owned(), |c| {
            places.subst(c)
        });
    let mut payload = json!({
        "session_id": "7a2b0c4d-0000-4000-8000-000000000001",
        "cwd": cwd,
        "hook_event_name": "PreToolUse",
        "tool_name": row.tool,
        "tool_input": places.value(&row.input),
    });
    if let Some(t) = &row.agent_type {
        payload["agent_type"] = json!(t);
    }
    if let Some(id) = &row.agent_id {
        payload["agent_id"] = json!(id);
    }
    let mut cmd = support::lanes();
    cmd.arg("hook")
        .current_dir(&places.root)
        .env("HOME", &places.home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(role) = &row.role {
        cmd.env("LANES_ROLE", role);
    }
    for (k, v) in &row.env {
        cmd.env(k, places.subst(v.as_str().unwrap()));
    }
    let mut child = cmd.spawn().unwrap();
    let input = serde_json::to_vec(&payload).unwrap();
    let _ = child.stdin.take().unwrap().write_all(&input);
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let decision = match o.status.code() {
        Some(2) => "block".to_string(),
        Some(0) if stdout.trim().is_empty() => "allow".to_string(),
        Some(0) => serde_json::from_str::<Value>(&stdout)
            .ok()
            .and_then(|v| {
                v["hookSpecificOutput"]["permissionDecision"]
                    .as_str()
                    .map(String::from)
            })
            .unwrap_or_else(|| format!("unreadable answer {stdout}")),
        other => format!("exit {other:?}"),
    };
    let detail = format!("{stdout}{}", stderr.chars().take(300).collect::<String>());
    (decision, detail)
}

#[test]
fn adversarial_hook_calls_get_the_verdict_the_table_gives() {
    let rows = rows();
    let mut failures = Vec::new();
    let mut classes = std::collections::BTreeMap::<&str, usize>::new();
    for row in &rows {
        assert!(!row.why.is_empty(), "row {} says why", row.id);
        *classes.entry(row.class.as_str()).or_default() += 1;
        let (got, detail) = run(row);
        if got != row.decision {
            failures.push(format!(
                "row {} ({}): want {}, got {got}\n    {detail}",
                row.id, row.class, row.decision
            ));
        }
    }
    assert!(rows.len() >= 30, "{} rows", rows.len());
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    eprintln!("hook_table: {} rows by class: {classes:?}", rows.len());
}
