//! `lanes hook` on PostToolUse, PostToolUseFailure and UserPromptSubmit through the real
//! binary, from payloads shaped as Claude Code 2.1.330 and 2.1.332 sent them
//! (shared/reference/bash-edit-diff.md, "Exact tool_response").

mod support;

use serde_json::{json, Value};
use std::fs;
use support::Repo;

const POLICY: &str = r#"
mode = "enforce"
unassigned = "allow"
audit = ".lanes/audit.jsonl"

[roles.researcher]
write = ["research/"]

[roles.builder]
write = ["src/"]
"#;

/// A PostToolUse input for a Bash `command` whose `tool_response` is `response`.
fn post(r: &Repo, command: &str, response: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "session_id": "sess-1",
        "transcript_path": "/home/dev/.claude/projects/x/sess-1.jsonl",
        "cwd": r.root,
        "permission_mode": "acceptEdits",
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "d"},
        "tool_response": response,
        "tool_use_id": "toolu_07",
        "duration_ms": 12,
    }))
    .unwrap()
}

/// The `bashEditDiff` of a command that created `created` and changed `changed` (absolute).
fn diff(created: &[String], changed: &[String]) -> Value {
    let mut files: Vec<Value> = created
        .iter()
        .map(|p| json!({"filePath": p, "hunks": [{"oldStart":0,"oldLines":0,"newStart":1,"newLines":1,"lines":["+y"]}], "created": true}))
        .collect();
    files.extend(changed.iter().map(|p| json!({"filePath": p, "hunks": []})));
    let all: Vec<&String> = created.iter().chain(changed).collect();
    json!({"stdout":"","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false,
           "bashEditDiff": {"files": files, "moreFiles": 0, "changedFiles": all}})
}

fn context(stdout: &str) -> String {
    let v: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout:?}"));
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PostToolUse");
    v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_opaque_write_into_another_lane_is_a_violation_and_the_model_is_told() {
    let r = Repo::new(POLICY);
    let cmd = "python3 -c \"open('research/x.txt','w').write('y')\"";
    let payload = post(
        &r,
        cmd,
        diff(&[r.abs("research/x.txt")], &[r.abs("src/a.rs")]),
    );
    let out = r.hook().role("builder").stdin(&payload).run();
    assert_eq!(out.code, 0, "{out:?}");
    let told = context(&out.stdout);
    assert!(
        told.contains("- research/x.txt (lane of researcher: research/; you created it)"),
        "{told}"
    );
    assert!(told.contains("must be restored"), "{told}");
    assert!(!told.contains("src/a.rs"), "in lane: {told}");
    let log = r.audit();
    assert_eq!(log.len(), 3, "{log:#?}");
    let by_path = |p: &str| log.iter().find(|l| l["path"] == p).unwrap().clone();
    let x = by_path("research/x.txt");
    assert_eq!(
        (
            x["decision"].as_str(),
            x["violation"].as_bool(),
            x["ran"].as_bool()
        ),
        (Some("detected"), Some(true), Some(true))
    );
    assert_eq!(x["extra"]["event"], "PostToolUse");
    assert_eq!(x["tool_use_id"], "toolu_07");
    assert_eq!(by_path("src/a.rs")["violation"], false);
    let command = log.iter().find(|l| l["path"].is_null()).unwrap();
    assert_eq!(command["extra"]["outcome"], "ok");
    assert_eq!(command["extra"]["changed"], 2);
    assert_eq!(command["extra"].get("unverified"), None);
    // The report lists it as detected after the run.
    let out = support::lanes()
        .args(["report", "--format", "json"])
        .current_dir(&r.root)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let g = &v["groups"][0];
    assert_eq!(g["violations_after"][0]["item"], "research/x.txt");
    assert_eq!(g["changed_after"][0]["item"], "src/a.rs");
    assert_eq!(g["commands"][0]["outcome"], "ok");
}

#[test]
fn where_the_client_sent_no_diff_the_effects_are_recorded_as_not_verified() {
    let r = Repo::new(POLICY);
    let plain = json!({"stdout":"hi","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false});
    let skipped = json!({"stdout":"","bashEditDiff":{"files":[],"moreFiles":0,"skipped":true}});
    for (cmd, response) in [("make gen", plain), ("git restore src/a.rs", skipped)] {
        let out = r
            .hook()
            .role("builder")
            .stdin(&post(&r, cmd, response))
            .run();
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:?}");
    }
    let mut failure: Value = serde_json::from_slice(&post(&r, "./build.sh", json!(null))).unwrap();
    failure["hook_event_name"] = json!("PostToolUseFailure");
    failure.as_object_mut().unwrap().remove("tool_response");
    failure["error"] = json!("Exit code 3");
    failure["is_interrupt"] = json!(false);
    let out = r
        .hook()
        .role("builder")
        .stdin(&serde_json::to_vec(&failure).unwrap())
        .run();
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:?}");
    let got: Vec<(String, String, String)> = r
        .audit()
        .iter()
        .map(|l| {
            let s = |k: &str| l["extra"][k].as_str().unwrap_or("").to_string();
            (s("command"), s("outcome"), s("unverified"))
        })
        .collect();
    assert_eq!(
        got,
        [
            ("make gen".into(), "ok".into(), "absent".into()),
            ("git restore src/a.rs".into(), "ok".into(), "skipped".into()),
            ("./build.sh".into(), "Exit code 3".into(), "failed".into()),
        ]
    );
}

#[test]
fn log_mode_records_the_change_without_telling_the_model() {
    let r = Repo::new(&POLICY.replace("\"enforce\"", "\"log\""));
    let out = r
        .hook()
        .role("builder")
        .stdin(&post(
            &r,
            "python3 x.py",
            diff(&[r.abs("research/x.txt")], &[]),
        ))
        .run();
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:?}");
    assert_eq!(r.audit()[0]["violation"], true);
}

#[test]
fn errors_after_the_run_never_block_and_are_told_to_the_user() {
    let r = Repo::new("[roles.builder\n");
    let out = r
        .hook()
        .role("builder")
        .stdin(&post(
            &r,
            "python3 x.py",
            diff(&[r.abs("research/x.txt")], &[]),
        ))
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let v: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert!(
        v["systemMessage"]
            .as_str()
            .unwrap()
            .contains("not verified"),
        "{v}"
    );
    // Even a panic.
    let r = Repo::new(POLICY);
    let out = r
        .hook()
        .role("builder")
        .env("LANES_FAULT", "panic")
        .stdin(&post(&r, "ls", json!({})))
        .run();
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn the_first_prompt_is_recorded_as_the_task_and_a_prompt_is_never_blocked() {
    let r = Repo::new(POLICY);
    let prompt = |text: &str| {
        serde_json::to_vec(&json!({
            "session_id": "sess-1",
            "cwd": r.root,
            "hook_event_name": "UserPromptSubmit",
            "prompt": text,
        }))
        .unwrap()
    };
    for text in [
        "Build the parser in src/\nwith tests",
        "and now something else",
    ] {
        let out = r.hook().role("builder").stdin(&prompt(text)).run();
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:?}");
    }
    let log = r.audit();
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(log[0]["extra"]["prompt"], "Build the parser in src/…");
    assert_eq!(log[0]["role"], "builder");
    // A broken policy: the prompt goes on.
    fs::write(r.root.join("lanes.toml"), "[roles.x\n").unwrap();
    let out = r.hook().stdin(&prompt("hello")).run();
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn init_registers_the_evidence_hooks_and_status_says_whether_they_are() {
    let r = Repo::new(POLICY);
    let lanes = |args: &[&str]| {
        let out = support::lanes()
            .args(args)
            .current_dir(&r.root)
            .env("HOME", r.dir.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    lanes(&["init"]);
    let settings: Value =
        serde_json::from_str(&fs::read_to_string(r.root.join(".claude/settings.json")).unwrap())
            .unwrap();
    for event in ["PostToolUse", "PostToolUseFailure", "UserPromptSubmit"] {
        assert_eq!(
            settings["hooks"][event][0]["hooks"][0]["args"],
            json!(["hook"]),
            "{event}: {settings:#}"
        );
    }
    let detail = |v: &str| -> String {
        let v: Value = serde_json::from_str(v).unwrap();
        v["claude_hook"]["detail"].as_str().unwrap().to_string()
    };
    let d = detail(&lanes(&["status", "--format", "json"]));
    assert!(
        d.ends_with("and so do PostToolUse, PostToolUseFailure and UserPromptSubmit"),
        "{d}"
    );
    // Settings from before: enforcement holds, the evidence is missing, and status says so.
    let pre_only = json!({"hooks": {"PreToolUse": settings["hooks"]["PreToolUse"].clone()}});
    fs::write(r.root.join(".claude/settings.json"), pre_only.to_string()).unwrap();
    let d = detail(&lanes(&["status", "--format", "json"]));
    assert!(
        d.contains("PostToolUse, PostToolUseFailure, UserPromptSubmit do not, so what shell commands change is not checked after the run"),
        "{d}"
    );
}
