#!/usr/bin/env bash
# A tour of lanes on the example repository: copies examples/three-lanes to a temporary
# directory and feeds `lanes hook` the PreToolUse calls Claude Code would send.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lanes=${LANES:-lanes}
command -v "$lanes" >/dev/null || { echo "lanes is not on PATH: run 'cargo install --locked --path .' first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/three-lanes" "$work/repo"
repo="$work/repo"
git -C "$repo" init -q

# call ROLE TOOL FILE: one Write/Edit call as ROLE, showing what lanes answers.
call() {
  local role=$1 tool=$2 file=$3 payload out code
  payload=$(printf '{"session_id":"demo","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"%s","tool_input":{"file_path":"%s/%s","content":"x"}}' "$repo" "$tool" "$repo" "$file")
  set +e
  out=$(printf '%s' "$payload" | LANES_ROLE=$role "$lanes" hook 2>&1)
  code=$?
  set -e
  if [ -z "$out" ] && [ $code -eq 0 ]; then
    printf '  %-10s %-5s %-28s -> allowed\n' "$role" "$tool" "$file"
  else
    printf '  %-10s %-5s %-28s -> DENIED (exit %s)\n' "$role" "$tool" "$file" "$code"
    printf '%s\n' "$out" | sed -n 's/.*"permissionDecisionReason":"\([^"]*\)".*/      reason: \1/p'
  fi
}

echo "Policy: $repo/lanes.toml (researcher -> research/, builder -> src/, reviewer -> reviews/)"
echo
call researcher Write research/notes.md
call researcher Write src/main.rs
call builder    Edit  src/main.rs
call builder    Write research/DONE.md
call reviewer   Write reviews/round-1.md
call reviewer   Write contracts/api.md
call builder    Write lanes.toml
echo
echo "Audit log ($repo/.lanes/audit.jsonl):"
python3 - "$repo/.lanes/audit.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"  {r['role']:<10} {r['tool']:<5} {r['path']:<20} {r['decision']:<5} {r['rule']}")
PY
