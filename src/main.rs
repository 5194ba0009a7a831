//! The `lanes` binary: parses arguments, calls the library, prints, and maps outcomes to
//! exit statuses. It is the only place that writes to stdout or stderr.

mod cli;

use clap::Parser;
use cli::{Cli, Command};
use lanes::env::{Env, DEFAULT_HOOK_DEADLINE_MS};
use lanes::hook::{self, Outcome};
use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

/// Exit status that makes Claude Code block a tool call (any other lets it through).
const EXIT_BLOCK: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit 2, which also blocks if the hook is misregistered
    let env = Env::from_process();
    match cli.command {
        Command::Hook(args) => hook_main(args, &env),
        Command::Check(args) => check_main(args, &env),
    }
}

/// Runs `lanes check`: exit 0 when everything is in lane (or the policy is in log mode), 1
/// when anything is out of lane, 2 on errors.
fn check_main(args: cli::CheckArgs, env: &Env) -> ExitCode {
    use lanes::check::{self, format};
    let source = match (args.range, args.files) {
        (Some(range), _) => check::Source::Range(range),
        (None, Some(files)) => check::Source::Files(files.into_iter().map(Into::into).collect()),
        (None, None) => check::Source::Staged,
    };
    let opts = check::Options { policy: args.policy, role: args.role, branch: args.branch, source };
    let result = std::env::current_dir()
        .map_err(|e| format!("cannot read the working directory: {e}"))
        .and_then(|cwd| check::run(&cwd, env, &opts).map_err(|e| e.to_string()));
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            match args.format {
                cli::CheckFormat::Github => println!("{}", format::github_error(&e)),
                cli::CheckFormat::Json => println!("{}", serde_json::json!({ "ok": false, "error": e })),
                cli::CheckFormat::Human => {}
            }
            eprintln!("lanes check: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match args.format {
        cli::CheckFormat::Human => format::human(&report, format::HUMAN_PATHS_PER_GROUP),
        cli::CheckFormat::Json => format::json(&report) + "\n",
        cli::CheckFormat::Github => format::github(&report, format::GITHUB_ANNOTATIONS),
    };
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    ExitCode::from(u8::from(report.failed()))
}

/// Runs the hook so that nothing can escape as an allow: a panic, a deadline overrun, or a
/// failed write to stdout all end in exit 2 with one paragraph on stderr.
fn hook_main(args: cli::HookArgs, env: &Env) -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("lanes blocked this tool call because it failed internally (lanes fails closed): {info}");
    }));
    let deadline = env.hook_deadline_ms.unwrap_or(DEFAULT_HOOK_DEADLINE_MS);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(deadline));
        eprintln!(
            "lanes blocked this tool call because judging it took longer than its {deadline} ms deadline \
             (lanes fails closed; a hook that Claude Code times out would let the call through)."
        );
        std::process::exit(EXIT_BLOCK.into());
    });
    let opts = hook::Options { policy: args.policy };
    let outcome = std::panic::catch_unwind(|| {
        #[cfg(debug_assertions)]
        if env.fault.as_deref() == Some("panic") {
            panic!("fault injected by LANES_FAULT=panic");
        }
        let mut stdin = Vec::new();
        match std::io::stdin().lock().read_to_end(&mut stdin) {
            Ok(_) => hook::run(&stdin, env, &opts),
            Err(e) => Outcome::Block(format!("lanes could not read the hook input on stdin, so the call is blocked: {e}")),
        }
    });
    match outcome {
        Ok(Outcome::Allow) => ExitCode::SUCCESS,
        Ok(Outcome::Deny(reason)) => {
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{}", lanes::render::deny_json(&reason)).and_then(|_| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => {
                    eprintln!("{reason}");
                    ExitCode::from(EXIT_BLOCK)
                }
            }
        }
        Ok(Outcome::Block(reason)) => {
            eprintln!("{reason}");
            ExitCode::from(EXIT_BLOCK)
        }
        Err(_) => ExitCode::from(EXIT_BLOCK), // the panic hook already said why
    }
}
