#!/usr/bin/env bash
# A tour of lanes on the example repository. It copies examples/three-lanes to a temporary
# directory, sets it up with `lanes init`, feeds `lanes hook` the PreToolUse calls Claude Code
# would send for three roles (file tools and Bash), tries an out-of-lane `git commit`, and
# summarizes the audit log with `lanes report`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lanes=${LANES:-lanes}
command -v "$lanes" >/dev/null || { echo "lanes is not on PATH: run 'cargo install --locked --path .' first" >&2; exit 1; }
lanes=$(command -v "$lanes"); case $lanes in /*) ;; *) lanes=$PWD/$lanes ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/three-lanes" "$work/repo"
repo="$work/repo"
# A private git identity, so the demo does not depend on (or touch) your git configuration.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.com \
  GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.com
unset LANES_ROLE LANES_POLICY CLAUDE_CODE_AGENT
git -C "$repo" init -q -b main
git -C "$repo" add -A && git -C "$repo" commit -qm "example repository"

echo "== lanes init (policy: researcher -> research/, builder -> src/, reviewer -> reviews/)"
(cd "$repo" && "$lanes" init --hook-command "$lanes") | sed -n '1,9p'
git -C "$repo" add -A && git -C "$repo" commit -qm "lanes init" --no-verify

# call ROLE TOOL INPUT: one tool call as ROLE, showing what lanes answers.
call() {
  local role=$1 tool=$2 input=$3 shown=$4 payload out code
  payload=$(printf '{"session_id":"demo-%s","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"%s","tool_input":%s}' "$role" "$repo" "$tool" "$input")
  set +e
  out=$(printf '%s' "$payload" | LANES_ROLE=$role "$lanes" hook 2>&1)
  code=$?
  set -e
  if [ -z "$out" ] && [ $code -eq 0 ]; then
    printf '  %-10s %-5s %-44s -> allowed\n' "$role" "$tool" "$shown"
  else
    printf '  %-10s %-5s %-44s -> DENIED (exit %s)\n' "$role" "$tool" "$shown" "$code"
    printf '%s\n' "$out" | sed -n 's/.*"permissionDecisionReason":"\([^"]*\)".*/      reason: \1/p' | cut -c1-220
  fi
}
write() { call "$1" "$2" "{\"file_path\":\"$repo/$3\",\"content\":\"x\"}" "$3"; }
bash_call() { call "$1" Bash "{\"command\":\"$2\"}" "$2"; }

echo
echo "== lanes hook: the file tools"
write researcher Write research/notes.md
write researcher Write src/main.rs
write builder    Edit  src/main.rs
write builder    Write research/DONE.md
write reviewer   Write reviews/round-1.md
write reviewer   Write contracts/api.md
write builder    Write lanes.toml
echo
echo "== lanes hook: Bash, judged by what the command writes"
bash_call builder "cargo build && echo ok > src/build.log"
bash_call builder "echo note >> research/findings.md"
bash_call builder "cd research && touch x.md"
bash_call builder "sed -i s/hello/hi/ src/main.rs research/findings.md"
bash_call researcher "git status && grep -r TODO src"

echo
echo "== lanes check: the builder tries to commit a change to research/"
echo "more" >> "$repo/research/findings.md"
git -C "$repo" add research/findings.md
set +e
(cd "$repo" && LANES_ROLE=builder git commit -qm "builder edits research" 2>&1) | sed 's/^/  /'
echo "  git commit exit status: ${PIPESTATUS[0]}"
set -e

echo
echo "== lanes report: the audit log, per role and session"
(cd "$repo" && "$lanes" report) | sed 's/^/  /'
