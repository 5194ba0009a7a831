//! The scripted API stubs as child processes: the Messages API (`tests/e2e/stub_api.py`,
//! for Claude Code) and the Responses API (`tests/e2e/stub_responses.py`, for Codex and
//! Copilot CLI).
//!
//! It listens on 127.0.0.1 (port chosen by the OS), logs every request as a JSON line, and
//! exits on its own when our end of its stdin closes, so it cannot outlive the test process.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/stub_api.py");
const RESPONSES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/stub_responses.py");

/// A running stub; killed on drop.
pub struct Stub {
    child: Child,
    // Held open: the stub exits when it sees EOF here.
    _stdin: ChildStdin,
    port: u16,
    log: PathBuf,
}

impl Stub {
    /// Starts the stub, logging requests to `dir/requests.jsonl` and its stderr to
    /// `dir/stub.stderr`.
    pub fn start(dir: &Path) -> Stub {
        Stub::spawn(SCRIPT, &[], dir)
    }

    /// Starts the Responses API stub playing `script` (a JSON file of conversations, see
    /// `stub_responses.py`), logging as [`Stub::start`] does.
    pub fn start_responses(dir: &Path, script: &Path) -> Stub {
        Stub::spawn(
            RESPONSES,
            &[std::ffi::OsStr::new("--script"), script.as_os_str()],
            dir,
        )
    }

    fn spawn(program: &str, args: &[&std::ffi::OsStr], dir: &Path) -> Stub {
        let log = dir.join("requests.jsonl");
        let stderr_path = dir.join("stub.stderr");
        let stderr = fs::File::create(&stderr_path).expect("create stub stderr file");
        let mut child = Command::new("python3")
            .arg("-I")
            .arg(program)
            .args(args)
            .arg("--log")
            .arg(&log)
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("starting python3 {program}: {e} (is python3 installed?)"));
        let stdin = child.stdin.take().expect("piped stdin");
        let mut first = String::new();
        let _ = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut first);
        let port = first.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "stub did not print its port (got {first:?}); stderr:\n{}",
                fs::read_to_string(&stderr_path).unwrap_or_default()
            )
        });
        Stub {
            child,
            _stdin: stdin,
            port,
            log,
        }
    }

    /// `http://127.0.0.1:<port>`, for `ANTHROPIC_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request logged so far: `{ts, method, path, headers, body, reply?}`.
    pub fn requests(&self) -> Vec<Value> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
