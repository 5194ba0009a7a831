//! lanes keeps parallel AI coding agents in their lanes.
//!
//! A policy (`lanes.toml`) maps each role to the paths it may write. `lanes hook` judges
//! Claude Code PreToolUse calls against it; the same [`decide`] module serves every command.
//! The library never prints: it returns outcomes, and the `lanes` binary renders them.
//!
//! Data flows one way:
//! `hook_input` (stdin JSON) -> `path` (resolution) -> `decide` -> `render` / `audit`.
//! For `Bash` calls, `shell` first turns the command into findings (written paths, opaque
//! programs, ...), which then take the same way.

pub mod apply_patch;
pub mod audit;
pub mod check;
pub mod checkout;
pub mod client;
pub mod decide;
pub mod env;
pub mod evidence;
pub mod explain;
pub mod git;
pub mod guarded;
pub mod handoff;
pub mod hook;
pub mod hook_input;
pub mod path;
pub mod policy;
pub mod reach;
pub mod render;
pub mod report;
pub mod role;
pub mod run;
pub mod scaffold;
pub mod session;
pub mod shell;
pub mod signal;
pub mod status;
pub mod team;
pub mod validate;
pub mod watch;
