#!/usr/bin/env python3
"""Scripted stand-in for the Anthropic Messages API, for end-to-end tests of lanes.

Usage: stub_api.py [--port N] [--log FILE] [--scenarios FILE] [--exit-on-stdin-eof]

Prints the port it listens on (127.0.0.1) as the first line of stdout, then serves until killed.

How a conversation is scripted: the stub looks at the user messages of a request that offers
tools, newest first, for one whose text holds a marker:

    LANES-SCRIPT: <json>       the script inline
    LANES-SCENARIO: <name>     a script looked up by name in the --scenarios JSON object

A script is a list of tool calls, answered in one assistant turn:

    [{"name": "Write", "input": {"file_path": "/abs/x.txt", "content": "hi"}}]

or {"turns": [[calls of turn 1], [calls of turn 2], ...]} for several turns in a row. The turn
answered is the number of assistant messages after the marker's message; once the script is
used up, the stub answers with text and end_turn. A subagent started through the Agent tool gets
the call's `prompt` as its first user message, so a marker there scripts the subagent.

Requests without tools (titles, summaries and other side requests), and requests with no marker,
get a short text answer. Streaming and non-streaming requests are both served; every request
(any method, any path) is appended to --log as one JSON line.
"""

import argparse
import itertools
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKER = re.compile(r"LANES-(SCRIPT|SCENARIO):\s*")
REPLY_TEXT = "Done."

_ids = itertools.count(1)
_log_lock = threading.Lock()


def next_id(prefix):
    return "%s_e2e%06d" % (prefix, next(_ids))


def text_of(content):
    """The text blocks of a message's content (not tool results), joined."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(block.get("text", ""))
    return "\n".join(parts)


def has_tool_result(content):
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def parse_marker(text, scenarios):
    """The script named or held by the first marker in text, or None.

    The first, because a script may carry a nested script (an Agent call's prompt).
    """
    found = MARKER.search(text)
    if found is None:
        return None
    rest = text[found.end():]
    if found.group(1) == "SCENARIO":
        name = rest.split()[0] if rest.split() else ""
        if name not in scenarios:
            raise ValueError("unknown scenario %r" % name)
        script = scenarios[name]
    else:
        script, _ = json.JSONDecoder().raw_decode(rest)
    if isinstance(script, dict):
        return script["turns"]
    return [script]


def plan_reply(body, scenarios):
    """Content blocks and stop reason answering one request."""
    messages = body.get("messages") or []
    if body.get("tools"):
        # Newest user message with a marker; count assistant messages after it.
        after = 0
        for msg in reversed(messages):
            if msg.get("role") == "assistant":
                after += 1
                continue
            if msg.get("role") != "user":
                continue
            turns = parse_marker(text_of(msg.get("content")), scenarios)
            if turns is None:
                continue
            if after < len(turns) and turns[after]:
                blocks = [
                    {
                        "type": "tool_use",
                        "id": next_id("toolu"),
                        "name": call["name"],
                        "input": call.get("input", {}),
                    }
                    for call in turns[after]
                ]
                return blocks, "tool_use"
            break
    return [{"type": "text", "text": REPLY_TEXT}], "end_turn"


def usage():
    return {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def sse(event, data):
    return "event: %s\ndata: %s\n\n" % (event, json.dumps(data))


def stream_body(model, blocks, stop_reason):
    msg_id = next_id("msg")
    out = [
        sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": dict(usage(), output_tokens=1),
                },
            },
        )
    ]
    for i, block in enumerate(blocks):
        if block["type"] == "text":
            start = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        out.append(sse("content_block_start", {"type": "content_block_start", "index": i, "content_block": start}))
        out.append(sse("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta}))
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": 5},
            },
        )
    )
    out.append(sse("message_stop", {"type": "message_stop"}))
    return "".join(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lanes-stub/1"

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return raw, json.loads(raw) if raw else None
        except ValueError:
            return raw, None

    def _log(self, body, raw, reply=None):
        if not self.server.log_path:
            return
        entry = {
            "ts": time.time(),
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body if body is not None else raw.decode("utf-8", "replace"),
        }
        if reply is not None:
            entry["reply"] = reply
        with _log_lock, open(self.server.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def _send(self, status, payload, ctype="application/json"):
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", next_id("req"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _other(self):
        raw, body = self._read_body()
        self._log(body, raw)
        self._send(200, "{}")

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = _other

    def do_POST(self):
        raw, body = self._read_body()
        path = self.path.split("?", 1)[0]
        if path.endswith("/v1/messages/count_tokens"):
            self._log(body, raw)
            self._send(200, json.dumps({"input_tokens": 10}))
            return
        if not path.endswith("/v1/messages") or not isinstance(body, dict):
            self._log(body, raw)
            self._send(200, "{}")
            return
        try:
            blocks, stop = plan_reply(body, self.server.scenarios)
        except Exception as e:  # a broken script: say so to the CLI and in the log
            self._log(body, raw, reply={"error": str(e)})
            err = {"type": "error", "error": {"type": "invalid_request_error", "message": "stub: %s" % e}}
            self._send(400, json.dumps(err))
            return
        self._log(body, raw, reply={"stop_reason": stop, "content": blocks})
        model = body.get("model", "claude-stub")
        if body.get("stream"):
            self._send(200, stream_body(model, blocks, stop), ctype="text/event-stream")
        else:
            msg = {
                "id": next_id("msg"),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": blocks,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": usage(),
            }
            self._send(200, json.dumps(msg))


def _exit_on_eof():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", default=None, help="append every request here as JSON lines")
    ap.add_argument("--scenarios", default=None, help="JSON object: scenario name -> script")
    ap.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when stdin closes, so a stub whose parent died does not linger",
    )
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.log_path = args.log
    server.scenarios = {}
    if args.scenarios:
        with open(args.scenarios, encoding="utf-8") as f:
            server.scenarios = json.load(f)
    if args.exit_on_stdin_eof:
        threading.Thread(target=_exit_on_eof, daemon=True).start()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
