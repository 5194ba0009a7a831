//! A second reference point for bench/run: the floor (`bench/floor.rs`) plus reading
//! `lanes.toml` from the payload's `cwd` and parsing it into a `toml::Table` (no spans, no
//! checks, no decision). Its time is a lower bound for any hook that parses a TOML policy on
//! every call with the `toml` crate, so it shows how much of `lanes hook` is parsing alone.

use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut input = Vec::new();
    if std::io::stdin().lock().read_to_end(&mut input).is_err() {
        return ExitCode::from(2);
    }
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(&input) else {
        return ExitCode::from(2);
    };
    let Some(cwd) = payload.get("cwd").and_then(|c| c.as_str()) else {
        return ExitCode::from(2);
    };
    let Ok(text) = std::fs::read_to_string(std::path::Path::new(cwd).join("lanes.toml")) else {
        return ExitCode::from(2);
    };
    match text.parse::<toml::Table>() {
        Ok(_) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}
