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
        Command::Init(args) => init_main(args, &env),
        Command::Uninstall(args) => uninstall_main(args),
    }
}

/// Exit status of `init` and `uninstall` when they cannot plan or apply.
const EXIT_ERROR: u8 = 2;

fn init_main(args: cli::InitArgs, env: &Env) -> ExitCode {
    use lanes::scaffold;
    if args.list_templates {
        print!("{}", scaffold::templates::listing());
        return ExitCode::SUCCESS;
    }
    let opts = scaffold::InitOptions {
        dir: std::path::PathBuf::from("."),
        template: args.template,
        hook_command: args.hook_command,
        exe: std::env::current_exe().ok(),
    };
    finish(scaffold::init(&opts, env), args.dry_run, "lanes init")
}

fn uninstall_main(args: cli::UninstallArgs) -> ExitCode {
    finish(
        lanes::scaffold::uninstall(std::path::Path::new(".")),
        args.dry_run,
        "lanes uninstall",
    )
}

/// Shows (`--dry-run`) or applies a plan and prints its summary.
fn finish(
    plan: Result<lanes::scaffold::Plan, lanes::scaffold::ScaffoldError>,
    dry_run: bool,
    what: &str,
) -> ExitCode {
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{what}: {e}\n{what}: nothing was changed.");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    if dry_run {
        print!("{}", plan.diff());
        if !plan.is_empty() {
            println!();
        }
    } else if let Err(e) = plan.apply() {
        eprintln!("{what}: {e}");
        return ExitCode::from(EXIT_ERROR);
    }
    print!("{}", plan.summary(!dry_run));
    ExitCode::SUCCESS
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
    let opts = hook::Options {
        policy: args.policy,
    };
    let outcome = std::panic::catch_unwind(|| {
        #[cfg(debug_assertions)]
        if env.fault.as_deref() == Some("panic") {
            panic!("fault injected by LANES_FAULT=panic");
        }
        let mut stdin = Vec::new();
        match std::io::stdin().lock().read_to_end(&mut stdin) {
            Ok(_) => hook::run(&stdin, env, &opts),
            Err(e) => Outcome::Block(format!(
                "lanes could not read the hook input on stdin, so the call is blocked: {e}"
            )),
        }
    });
    match outcome {
        Ok(Outcome::Allow) => ExitCode::SUCCESS,
        Ok(Outcome::Deny(reason)) => answer(&lanes::render::deny_json(&reason), &reason),
        Ok(Outcome::Ask(reason)) => answer(&lanes::render::ask_json(&reason), &reason),
        Ok(Outcome::Block(reason)) => {
            eprintln!("{reason}");
            ExitCode::from(EXIT_BLOCK)
        }
        Err(_) => ExitCode::from(EXIT_BLOCK), // the panic hook already said why
    }
}

/// Prints a JSON answer and exits 0; if stdout cannot be written, blocks with exit 2.
fn answer(json: &str, reason: &str) -> ExitCode {
    {
        {
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{json}").and_then(|_| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => {
                    eprintln!("{reason}");
                    ExitCode::from(EXIT_BLOCK)
                }
            }
        }
    }
}
