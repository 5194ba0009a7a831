#!/usr/bin/env bash
# Reference PreToolUse hook in bash + jq, for bench/run: the kind of lane check people write
# by hand. It reads the payload, takes the role from LANES_ROLE, and checks the written path
# against the role's (and the shared) lanes as plain prefixes, printing the deny JSON when none
# matches. jq cannot read TOML, so it reads `lanes.json` (the same policy, written by
# bench/run) from the payload's cwd. It does less than `lanes hook` (no globs, negations,
# symlink resolution, protected paths or audit log), which flatters it.
set -euo pipefail

input=$(cat)
IFS=$'\t' read -r tool cwd file < <(jq -r '[.tool_name, .cwd, (.tool_input.file_path // "")] | @tsv' <<<"$input")
case "$tool" in Write | Edit | MultiEdit) ;; *) exit 0 ;; esac
role=${LANES_ROLE:-}
[ -n "$role" ] || exit 0
[ -n "$file" ] || { echo "ref-hook: $tool call without file_path" >&2; exit 2; }
case "$file" in /*) ;; *) file="$cwd/$file" ;; esac
rel=${file#"$cwd"/}

jq -c --arg role "$role" --arg path "$rel" '
  def in_lane($p): if ($p | endswith("/")) then ($path | startswith($p))
                   else ($path == $p or ($path | startswith($p + "/"))) end;
  ((.roles[$role].write // []) + (.shared.write // [])) as $lanes
  | if any($lanes[]; in_lane(.)) then empty
    else {hookSpecificOutput: {hookEventName: "PreToolUse", permissionDecision: "deny",
          permissionDecisionReason: "\($path) is outside the lanes of role \($role): \($lanes | join(", "))"}}
    end' "$cwd/lanes.json"
