//! The `lanes` binary: parses arguments, calls the library, prints, and maps outcomes to
//! exit statuses. It is the only place that writes to stdout or stderr.

mod cli;
mod watchdog;

use cli::{Cli, Command};
use lanes::env::{Env, DEFAULT_HOOK_DEADLINE_MS};
use lanes::hook;
use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

/// Exit status that makes Claude Code block a tool call (any other lets it through).
const EXIT_BLOCK: u8 = 2;

fn main() -> ExitCode {
    // A panic anywhere (even while reading arguments, before the hook's own guard) exits 2:
    // for the hook that blocks the call instead of letting exit 101 through, and for every
    // other command 2 already means "could not run".
    std::panic::catch_unwind(run).unwrap_or(ExitCode::from(EXIT_BLOCK))
}

fn run() -> ExitCode {
    // Usage errors exit 2, which also blocks if the hook is misregistered.
    let cli = Cli::parse_args();
    let env = Env::from_process();
    match cli.command {
        Command::Hook(args) => hook_main(args, &env),
        Command::Init(args) => init_main(args, &env),
        Command::Uninstall(args) => uninstall_main(args),
        Command::Validate(args) => validate_main(args, &env),
        Command::Explain(args) => explain_main(args, &env),
        Command::Status(args) => status_main(args, &env),
        Command::Report(args) => report_main(args, &env),
        Command::Wait(args) => wait_main(args, &env),
        Command::Check(args) => check_main(args, &env),
        Command::Run(args) => run_main(args, &env),
        Command::Up(args) => up_main(args, &env),
        Command::Down(args) => down_main(args, &env),
        Command::Watch(args) => watch_main(args, &env),
    }
}

/// Exit status of `init` and `uninstall` when they cannot plan or apply, and of the evidence
/// commands (validate, explain, status, report, wait) when they cannot run at all.
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
        clients: args.client.into_iter().map(Into::into).collect(),
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

/// Runs `lanes check`: exit 0 when everything is in lane (or the policy is in log mode), 1
/// when anything is out of lane, 2 on errors.
fn check_main(args: cli::CheckArgs, env: &Env) -> ExitCode {
    use lanes::check::{self, format};
    let source = match (args.range, args.files) {
        (Some(range), _) => check::Source::Range(range),
        (None, Some(files)) => check::Source::Files(files.into_iter().map(Into::into).collect()),
        (None, None) => check::Source::Staged,
    };
    let opts = check::Options {
        policy: args.policy,
        role: args.role,
        branch: args.branch,
        source,
    };
    let explicit = opts.policy.is_some() || env.lanes_policy.is_some();
    let fail = |e: String| {
        match args.format {
            cli::CheckFormat::Github => println!("{}", format::github_error(&e)),
            cli::CheckFormat::Json => {
                println!("{}", serde_json::json!({ "ok": false, "error": e }))
            }
            cli::CheckFormat::Human => {}
        }
        eprintln!("lanes check: {e}");
        ExitCode::from(2)
    };
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => return fail(format!("cannot read the working directory: {e}")),
    };
    let report = match check::run(&cwd, env, &opts) {
        Ok(report) => report,
        // A branch without the policy (an old release branch, an orphan one) has no lanes
        // to keep, so its commits pass; a policy named explicitly must exist.
        Err(check::CheckError::NoPolicy(dir)) if !explicit => {
            eprintln!(
                "lanes check: no {} in {} or above: nothing to check, so the commit passes",
                lanes::policy::POLICY_FILE,
                dir.display()
            );
            if matches!(args.format, cli::CheckFormat::Json) {
                println!("{}", serde_json::json!({ "ok": true, "policy": null }));
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(e.to_string()),
    };
    let text = match args.format {
        cli::CheckFormat::Human => format::human(&report, format::HUMAN_PATHS_PER_GROUP),
        cli::CheckFormat::Json => format::json(&report) + "\n",
        cli::CheckFormat::Github => format::github(&report, format::GITHUB_ANNOTATIONS),
    };
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    ExitCode::from(u8::from(report.failed()))
}

/// Runs the hook so that nothing can escape as an allow: a panic, a deadline overrun, or a
/// failed write to stdout all end in exit 2 with one paragraph on stderr (and, for a client
/// other than Claude Code or one not yet known, the block every client honours on stdout:
/// see `lanes::client::answer`).
fn hook_main(args: cli::HookArgs, env: &Env) -> ExitCode {
    use lanes::client::{self, answer};
    let declared = args.client.map(client::ClientName::from);
    // Before the payload is read, the client is the declared one, or not known.
    let early = declared.map(client::ClientName::client);
    std::panic::set_hook(Box::new(move |info| {
        let reason = format!(
            "lanes blocked this tool call because it failed internally (lanes fails closed): {info}"
        );
        emit_failure(&answer::failure(early, &reason));
    }));
    let deadline = env.hook_deadline_ms.unwrap_or(DEFAULT_HOOK_DEADLINE_MS);
    let late = answer::failure(
        early,
        &format!(
            "lanes blocked this tool call because judging it took longer than its {deadline} ms deadline \
             (lanes fails closed; a hook that the agent CLI times out would let the call through)."
        ),
    );
    if let Err(e) = watchdog::arm(Duration::from_millis(deadline), &late) {
        let reason = format!(
            "lanes blocked this tool call because it could not arm its {deadline} ms deadline: {e}"
        );
        emit_failure(&answer::failure(early, &reason));
        return ExitCode::from(EXIT_BLOCK);
    }
    let opts = hook::Options {
        policy: args.policy,
        use_cache: true,
    };
    // Room for a typical input up front: growing from empty reads it 32 bytes first, then in
    // doubling chunks, a system call each.
    let mut stdin = Vec::with_capacity(64 * 1024);
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut stdin) {
        let reason =
            format!("lanes could not read the hook input on stdin, so the call is blocked: {e}");
        emit_failure(&answer::failure(early, &reason));
        return ExitCode::from(EXIT_BLOCK);
    }
    let event = lanes::evidence::event_of(&stdin);
    if event != lanes::evidence::Event::Before {
        return evidence_main(event, &stdin, env, &opts);
    }
    let outcome = std::panic::catch_unwind(|| {
        #[cfg(debug_assertions)]
        if env.fault.as_deref() == Some("panic") {
            panic!("fault injected by LANES_FAULT=panic");
        }
        let input = client::parse(&stdin, declared);
        let to = client::answering(&input, declared);
        (to, hook::run_parsed(input, env, &opts))
    });
    match outcome {
        Ok((to, outcome)) => emit(&answer::answer(to, &outcome)),
        Err(_) => ExitCode::from(EXIT_BLOCK), // the panic hook already answered
    }
}

/// The hook for PostToolUse, PostToolUseFailure and UserPromptSubmit: always exit 0 (exit 2
/// would block the user's prompt, or hand the model stderr as if its command had failed),
/// with at most one JSON object on stdout. A panic becomes a message to the user.
fn evidence_main(
    event: lanes::evidence::Event,
    stdin: &[u8],
    env: &Env,
    opts: &hook::Options,
) -> ExitCode {
    watchdog::disarm();
    std::panic::set_hook(Box::new(|info| {
        say(format_args!(
            "lanes failed internally (nothing was blocked): {info}"
        ));
    }));
    let answer = std::panic::catch_unwind(|| {
        #[cfg(debug_assertions)]
        if env.fault.as_deref() == Some("panic") {
            panic!("fault injected by LANES_FAULT=panic");
        }
        lanes::evidence::run(event, stdin, env, opts)
    })
    .unwrap_or_else(|_| {
        lanes::evidence::Answer::warn_user("hook", "lanes failed internally; nothing was blocked")
    });
    if let Some(json) = answer.stdout {
        let _ = write_stdout(&json);
    }
    ExitCode::SUCCESS
}

/// Writes a hook answer. An exit-0 answer that cannot be written (stdout closed, full, or the
/// null device: a parent that closed it gets `/dev/null` in its place from the runtime)
/// becomes exit 2 with the reason on stderr, since an answer nobody reads would let the call
/// through.
fn emit(a: &lanes::client::answer::Answer) -> ExitCode {
    if a.exit != 0 {
        emit_failure(a);
        return ExitCode::from(a.exit);
    }
    let Some(json) = &a.stdout else {
        return ExitCode::SUCCESS;
    };
    if stdout_is_null() {
        say(&a.reason);
        return ExitCode::from(EXIT_BLOCK);
    }
    match write_stdout(json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => {
            say(&a.reason);
            ExitCode::from(EXIT_BLOCK)
        }
    }
}

/// Writes a blocking answer's stdout (one piece) and stderr, ignoring errors: exit 2 alone
/// blocks on every client once stderr is said.
fn emit_failure(a: &lanes::client::answer::Answer) {
    if let Some(json) = &a.stdout {
        let _ = write_stdout(json);
    }
    if let Some(reason) = &a.stderr {
        say(reason);
    }
}

/// Writes `json` and its newline to stdout in one piece, then flushes. `writeln!` may
/// write the document and the newline apart; a deadline firing between the two would add
/// its block to a whole answer, two documents that Codex and Gemini read as bad JSON.
fn write_stdout(json: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(format!("{json}\n").as_bytes())?;
    out.flush()
}

/// True when stdout is the null device (same device and inode as `/dev/null`).
fn stdout_is_null() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return false;
    };
    match (
        std::fs::File::from(fd).metadata(),
        std::fs::metadata("/dev/null"),
    ) {
        (Ok(out), Ok(null)) => out.dev() == null.dev() && out.ino() == null.ino(),
        _ => false,
    }
}

/// Writes `msg` and a newline to stderr for the hook, ignoring errors: the exit status alone
/// blocks the call, while `eprintln!` panics when stderr cannot be written (a full disk, a
/// closed pipe), and in the panic hook that aborts the process, which lets the call through.
fn say(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Prints `msg` as an error and returns exit status 2.
fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("lanes: {msg}");
    ExitCode::from(EXIT_ERROR)
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("report types serialize")
}

/// The policy file for a command run in the current directory: `--policy`, `LANES_POLICY`,
/// or the nearest `lanes.toml`.
fn policy_file(
    explicit: Option<&std::path::Path>,
    env: &Env,
) -> Result<std::path::PathBuf, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let explicit = explicit.or(env.lanes_policy.as_deref());
    lanes::policy::find(&cwd, explicit).ok_or_else(|| {
        format!(
            "no {} in {} or a parent directory (use --policy FILE)",
            lanes::policy::POLICY_FILE,
            cwd.display()
        )
    })
}

fn load_policy(
    explicit: Option<&std::path::Path>,
    env: &Env,
) -> Result<lanes::policy::Policy, String> {
    let file = policy_file(explicit, env)?;
    lanes::policy::Policy::load(&file).map_err(|e| e.to_string())
}

fn validate_main(args: cli::ValidateArgs, env: &Env) -> ExitCode {
    let file = match policy_file(args.policy.as_deref(), env) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let v = match lanes::validate::validate(&file) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    match args.format {
        cli::Format::Json => println!("{}", json(&v)),
        cli::Format::Text => print!("{}", v.text()),
    }
    let failed = !v.valid || (args.strict && !v.warnings.is_empty());
    ExitCode::from(u8::from(failed))
}

fn explain_main(args: cli::ExplainArgs, env: &Env) -> ExitCode {
    if let Some(input) = &args.hook_input {
        let bytes = if input.as_os_str() == "-" {
            let mut b = Vec::new();
            std::io::stdin().lock().read_to_end(&mut b).map(|_| b)
        } else {
            std::fs::read(input)
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                return fail(format!(
                    "cannot read the hook input {}: {e}",
                    input.display()
                ))
            }
        };
        let mut env = env.clone();
        if args.role.is_some() {
            env.lanes_role = args.role.clone();
        }
        let trace = lanes::explain::replay(
            &bytes,
            &env,
            &hook::Options {
                policy: args.policy,
                use_cache: false,
            },
        );
        match args.format {
            cli::Format::Json => println!("{}", json(&trace)),
            cli::Format::Text => print!("{}", trace.text()),
        }
        return ExitCode::from(u8::from(trace.outcome != "allow"));
    }
    let policy = match load_policy(args.policy.as_deref(), env) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let cwd = match std::env::current_dir() {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot read the current directory: {e}")),
    };
    let path = args.path.as_deref().unwrap_or_default();
    let ex = match lanes::explain::explain_path(&policy, path, &cwd, args.role.as_deref(), env) {
        Ok(ex) => ex,
        Err(e) => return fail(e),
    };
    match args.format {
        cli::Format::Json => println!("{}", json(&ex)),
        cli::Format::Text => print!("{}", ex.text()),
    }
    ExitCode::from(u8::from(args.role.is_some() && !ex.allowed()))
}

fn status_main(args: cli::StatusArgs, env: &Env) -> ExitCode {
    let policy = match load_policy(args.policy.as_deref(), env) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let mut st = lanes::status::status(&policy, args.settle, env.home.as_deref());
    st.add_clients(lanes::client::trust::check(&policy.root, env));
    let probe = lanes::run::probe::Probe::run(env.path.as_deref());
    if !probe.ready() {
        st.warnings.push(format!(
            "`lanes run` cannot start a sandboxed session here: {} (see docs/run.md)",
            probe.missing().join("; ")
        ));
    }
    st.sandbox = Some(lanes::run::status(
        &policy,
        &probe,
        &lanes::run::wall::Disk(&policy.root),
    ));
    match args.format {
        cli::Format::Json => println!("{}", json(&st)),
        cli::Format::Text => print!("{}", st.text()),
    }
    ExitCode::from(u8::from(!st.problems.is_empty()))
}

fn report_main(args: cli::ReportArgs, env: &Env) -> ExitCode {
    use lanes::report;
    // (log, project root in its checkout): the one log named, or the policy's log in every
    // checkout of the repository, this checkout's first.
    let (policy, logs) = match args.log {
        Some(l) => (None, vec![(l, None)]),
        None => match load_policy(args.policy.as_deref(), env) {
            Ok(p) => {
                if p.audit.is_none() {
                    return fail(format!(
                        "the audit log is turned off in {} (audit = false)",
                        p.file.display()
                    ));
                }
                let mut roots = lanes::checkout::project_in_every_checkout(&p.root);
                if roots.is_empty() {
                    roots.push(p.root.clone());
                }
                let logs = lanes::audit::logs_in_every_checkout(&p)
                    .into_iter()
                    .zip(roots.into_iter().map(Some))
                    .collect();
                (Some(p), logs)
            }
            Err(e) => return fail(e),
        },
    };
    let since = match args
        .since
        .as_deref()
        .map(|s| report::parse_since(s, std::time::SystemTime::now()))
    {
        Some(Err(e)) => return fail(e),
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let filter = report::Filter {
        since,
        role: args.role,
        session: args.session,
    };
    let mut summary = report::Summarizer::new();
    for (i, (log, root)) in logs.iter().enumerate() {
        let read = match std::fs::File::open(log) {
            Ok(f) => summary.read(
                log,
                root.as_deref(),
                std::io::BufReader::with_capacity(1 << 16, f),
                &filter,
            ),
            // Another checkout where no session ran has no log: nothing to say.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if i == 0 {
                    eprintln!("lanes: warning: no audit log at {} yet", log.display());
                    summary.read(log, root.as_deref(), std::io::empty(), &filter)
                } else {
                    Ok(())
                }
            }
            Err(e) => Err(e),
        };
        if let Err(e) = read {
            return fail(format!("cannot read the audit log {}: {e}", log.display()));
        }
    }
    let mut r = summary.finish();
    if let Some(w) = r.malformed_warning() {
        eprintln!("lanes: warning: {w}");
    }
    if let (Some(p), cli::ReportFormat::Json | cli::ReportFormat::Markdown) =
        (&policy, &args.format)
    {
        r.receipts = report::receipt::receipts(&r, p, env);
    }
    match args.format {
        cli::ReportFormat::Json => println!("{}", json(&r)),
        cli::ReportFormat::Text => print!("{}", r.text()),
        cli::ReportFormat::Markdown => print!("{}", r.markdown()),
    }
    ExitCode::SUCCESS
}

fn wait_main(args: cli::WaitArgs, env: &Env) -> ExitCode {
    use lanes::signal::{self, WaitOptions, WaitOutcome};
    let policy = match load_policy(args.policy.as_deref(), env) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let Some(role) = policy.role(&args.role) else {
        let names: Vec<&str> = policy.roles.iter().map(|r| r.name.as_str()).collect();
        return fail(format!(
            "no role '{}' in {}; roles: {}",
            args.role,
            policy.file.display(),
            names.join(", ")
        ));
    };
    let sig = match lanes::handoff::signal_file(&policy, role) {
        Ok(Some(found)) => found,
        Ok(None) => {
            return fail(format!(
                "role '{}' has no `signal` file in {}",
                role.name,
                policy.file.display()
            ))
        }
        Err(e) => return fail(e.to_string()),
    };
    if let Some(note) = &sig.note {
        eprintln!("lanes: {note}");
    }
    let file = sig.file;
    let sig = file.strip_prefix(&policy.root).unwrap_or(&file).display();
    let opts = WaitOptions {
        timeout: args.timeout,
        settle: args.settle,
        ..WaitOptions::default()
    };
    match signal::wait(&file, role.signal_requires(), &opts) {
        Ok(WaitOutcome::Complete { waited, .. }) => {
            eprintln!(
                "lanes: {sig} of role '{}' is complete (waited {:.1} s)",
                role.name,
                waited.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Ok(WaitOutcome::TimedOut(state)) => {
            eprintln!(
                "lanes: timed out waiting for {sig} of role '{}': {}",
                role.name,
                state.describe()
            );
            ExitCode::from(1)
        }
        Err(e) => fail(format!(
            "cannot read the signal file {}: {e}",
            file.display()
        )),
    }
}

/// `lanes run`: plans the session, writes its settings file, prints the summary to stderr
/// and replaces this process with the client (exit 2 when it cannot start).
fn run_main(args: cli::RunArgs, env: &Env) -> ExitCode {
    use lanes::run;
    let policy = match load_policy(args.policy.as_deref(), env) {
        Ok(p) => p,
        Err(e) => return fail(format!("run: {e}")),
    };
    // The probe starts bwrap once; without the sandbox it is not needed.
    let probe = match args.no_sandbox {
        true => run::probe::Probe {
            os: std::env::consts::OS.into(),
            bwrap: None,
            socat: None,
            user_namespaces: None,
        },
        false => run::probe::Probe::run(env.path.as_deref()),
    };
    let exe = std::env::current_exe().ok();
    let hook = lanes::scaffold::command::choose(None, exe.as_deref(), env.path.as_deref());
    let git_dirs = lanes::git::Git::new(&policy.root)
        .git_dirs()
        .unwrap_or_default();
    let machine = run::Machine {
        probe: &probe,
        tree: &run::wall::Disk(&policy.root),
        git_dirs: &git_dirs,
    };
    let request = run::Request {
        role: &args.role,
        client: args.client,
        sandbox: !args.no_sandbox,
        layout: args.layout,
        args: &args.args,
        hook_command: &hook.command,
        explicit_policy: args.policy.is_some() || env.lanes_policy.is_some(),
    };
    let launch = match run::plan(&policy, &request, &machine) {
        Ok(l) => l,
        Err(e) => return fail(format!("run: {e}")),
    };
    for (file, text) in &launch.files {
        let written = file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(file, text));
        if let Err(e) = written {
            return fail(format!("run: cannot write {}: {e}", file.display()));
        }
    }
    for line in &launch.summary {
        eprintln!("lanes run: {line}");
    }
    let mut cmd = std::process::Command::new(&launch.program);
    cmd.args(&launch.args).current_dir(&launch.cwd);
    for (k, v) in &launch.env {
        cmd.env(k, v);
    }
    let program = launch.program.to_string_lossy();
    let cannot = |e: std::io::Error| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => format!(" ({})", args.client.install_hint()),
            _ => String::new(),
        };
        fail(format!("run: cannot start {program}: {e}{hint}"))
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cannot(cmd.exec())
    }
    #[cfg(not(unix))]
    match cmd.status() {
        Ok(st) => ExitCode::from(st.code().map_or(EXIT_ERROR, |c| c as u8)),
        Err(e) => cannot(e),
    }
}

/// Exit status of `lanes up` and `down` when they refused or kept something (a session of
/// that name exists, a worktree holds work); 2 is for errors.
const EXIT_REFUSED: u8 = 1;

fn up_main(args: cli::UpArgs, env: &Env) -> ExitCode {
    use lanes::team::{self, TeamError};
    let policy = match load_policy(args.policy.as_deref(), env) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return fail(format!("cannot find this lanes executable: {e}")),
    };
    let opts = team::UpOptions {
        named_policy: args.policy.is_some() || env.lanes_policy.is_some(),
        roles: args.roles,
        worktrees: args.worktrees,
        session: args.session,
        no_sandbox: args.no_sandbox,
        exe,
        path: env.path.clone(),
        env: Env::all_of_process(),
        agent_args: args.args,
    };
    let started = match team::up(&policy, &opts) {
        Ok(s) => s,
        Err(e @ TeamError::Exists(_)) => {
            eprintln!("lanes up: {e}");
            return ExitCode::from(EXIT_REFUSED);
        }
        Err(e) => {
            eprintln!("lanes up: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    print!("{}", up_summary(&started));
    if args.detach {
        return ExitCode::SUCCESS;
    }
    match team::attach(&started.session, env.tmux.is_some()) {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => fail(format!(
            "tmux could not attach to '{}'; the team runs on: `tmux attach -t {}`",
            started.session, started.session
        )),
        Err(e) => fail(e),
    }
}

/// What `lanes up` tells: the session, each pane and what it runs, the worktrees, and how to
/// join and end it.
fn up_summary(s: &lanes::team::Started) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "lanes up: session '{}' with {} panes\n",
        s.session,
        s.panes.len()
    );
    let width = s.panes.iter().map(|p| p.title.len()).max().unwrap_or(0);
    for p in &s.panes {
        let what = match &p.role {
            None => "lanes watch".to_string(),
            Some(role) if p.waits_for.is_empty() => format!("lanes run {role}"),
            Some(role) => {
                let list: Vec<String> = p
                    .waits_for
                    .iter()
                    .map(|(r, sig)| format!("{sig} ({r})"))
                    .collect();
                format!("lanes run {role} once {} complete", list.join(", "))
            }
        };
        let _ = writeln!(out, "  {:<width$}  {what}  in {}", p.title, p.dir.display());
    }
    for w in &s.worktrees {
        let _ = writeln!(
            out,
            "  worktree {} on {} ({})",
            w.checkout.display(),
            w.branch,
            if w.created { "created" } else { "reused" }
        );
    }
    for note in &s.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(
        out,
        "Join it: tmux attach -t {}    End it: lanes down{}",
        s.session,
        if s.worktrees.is_empty() {
            ""
        } else {
            " [--remove-worktrees]"
        }
    );
    out
}

fn down_main(args: cli::DownArgs, env: &Env) -> ExitCode {
    use lanes::team::{self, worktree::Removal};
    let cwd = match std::env::current_dir() {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot read the current directory: {e}")),
    };
    let policy = if args.remove_worktrees {
        match load_policy(args.policy.as_deref(), env) {
            Ok(p) => Some(p),
            Err(e) => return fail(e),
        }
    } else {
        None
    };
    let dir = policy.as_ref().map_or(cwd, |p| p.root.clone());
    let session = match team::session_for(&dir, args.session.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let stopped = match team::down(&session, policy.as_ref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if stopped.killed {
        println!("lanes down: ended session '{session}'");
    } else {
        println!("lanes down: no session '{session}' (nothing to end)");
    }
    for r in &stopped.worktrees {
        match r {
            Removal::Removed {
                checkout,
                absorbed: 0,
            } => {
                println!("  removed  {}", checkout.display())
            }
            Removal::Removed { checkout, absorbed } => println!(
                "  removed  {} (its {absorbed} audit record{} added to this checkout's log)",
                checkout.display(),
                if *absorbed == 1 { " was" } else { "s were" }
            ),
            Removal::Kept { checkout, reason } => {
                println!("  kept     {}: {reason}", checkout.display())
            }
        }
    }
    if stopped.kept_any() {
        eprintln!("lanes down: some worktrees were kept, so that no work is lost; commit or merge it, then run lanes down --remove-worktrees again");
        return ExitCode::from(EXIT_REFUSED);
    }
    ExitCode::SUCCESS
}

fn watch_main(args: cli::WatchArgs, env: &Env) -> ExitCode {
    use std::io::IsTerminal;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let policy = match load_policy(args.policy.as_deref(), env) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if policy.audit.is_none() {
        return fail(format!(
            "the audit log is turned off in {} (audit = false): there is nothing to watch",
            policy.file.display()
        ));
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&stop)) {
            return fail(format!("cannot set up the signal handler: {e}"));
        }
    }
    let follower = lanes::watch::Follower::new(lanes::audit::logs_in_every_checkout(&policy));
    eprintln!(
        "lanes watch: following {} (Ctrl-C to stop)",
        follower
            .logs()
            .map(|l| l.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let highlight = std::io::stdout().is_terminal();
    let result = lanes::watch::follow(
        follower,
        || lanes::audit::logs_in_every_checkout(&policy),
        &stop,
        |entry| {
            match entry.record {
                Ok(r) => {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{}", lanes::watch::line(&r, highlight))?;
                    out.flush()?;
                }
                Err(text) => eprintln!(
                    "lanes watch: not a decision in {}: {text}",
                    entry.log.display()
                ),
            }
            Ok(())
        },
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`lanes watch | head`): nothing left to do.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write: {e}")),
    }
}
