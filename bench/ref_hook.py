#!/usr/bin/env python3
"""Reference PreToolUse hook in Python, for bench/run: the kind of lane check people write by
hand. It reads the payload, takes the role from LANES_ROLE, reads lanes.toml from the payload's
cwd (tomllib, Python 3.11+; lanes.json otherwise), and checks the written path against the
role's (and the shared) lanes as plain prefixes, printing the deny JSON when none matches. It
does less than `lanes hook` (no globs, negations, symlink resolution, protected paths or audit
log), which flatters it."""

import json
import os
import sys


def load_policy(cwd):
    try:
        import tomllib
    except ImportError:
        with open(os.path.join(cwd, "lanes.json"), encoding="utf-8") as f:
            return json.load(f)
    with open(os.path.join(cwd, "lanes.toml"), "rb") as f:
        return tomllib.load(f)


def in_lane(path, pattern):
    if pattern.endswith("/"):
        return path.startswith(pattern)
    return path == pattern or path.startswith(pattern + "/")


def main():
    payload = json.load(sys.stdin)
    tool = payload.get("tool_name")
    if tool not in ("Write", "Edit", "MultiEdit"):
        return 0
    role = os.environ.get("LANES_ROLE")
    if not role:
        return 0
    cwd = payload["cwd"]
    file = payload["tool_input"]["file_path"]
    rel = os.path.relpath(os.path.normpath(os.path.join(cwd, file)), cwd)
    policy = load_policy(cwd)
    lanes = policy.get("roles", {}).get(role, {}).get("write", []) + policy.get("shared", {}).get("write", [])
    if any(in_lane(rel, p) for p in lanes):
        return 0
    reason = f"{rel} is outside the lanes of role {role}: {', '.join(lanes)}"
    print(json.dumps({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": reason,
    }}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # fail closed, as a hook must
        print(f"ref_hook.py: {e}", file=sys.stderr)
        sys.exit(2)
