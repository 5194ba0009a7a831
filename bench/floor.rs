//! The benchmark's floor: the least any native hook must do. It reads the PreToolUse input
//! from stdin, parses it with serde_json, and exits 0. Built in the same (release) profile
//! as `lanes`, so `bench/run` can report each hook's cost as a ratio to this one.

use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut input = Vec::new();
    if std::io::stdin().lock().read_to_end(&mut input).is_err() {
        return ExitCode::from(2);
    }
    match serde_json::from_slice::<serde_json::Value>(&input) {
        Ok(v) if v.get("tool_name").is_some() => ExitCode::SUCCESS,
        _ => ExitCode::from(2),
    }
}
