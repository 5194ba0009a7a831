#!/usr/bin/env python3
"""Scripted stand-in for the OpenAI Responses API, for end-to-end tests of lanes with Codex and
GitHub Copilot CLI (both can be pointed at a custom Responses endpoint on 127.0.0.1).

Usage: stub_responses.py --script FILE [--log FILE] [--exit-on-stdin-eof]

Prints the port it listens on (127.0.0.1) as the first line of stdout, then serves until killed.

The script is a JSON object of conversations, each a list of output items, one per model turn:

    {"main": [ITEM, ITEM, ...], "sub": [ITEM, ...]}

A request belongs to "sub" when one of its user messages holds the text SUBTASK (a subagent's
task, as the main conversation's spawn call wrote it), else to "main". Its turn is the number of
tool outputs already in its input; once the list is used up the stub answers "Done.". An ITEM is a
Responses output item (`function_call`, `custom_tool_call`, `message`); `call_id` and `id` are
filled in, and "$AGENT_ID" in a function call's arguments becomes the first agent id found in the
tool outputs so far (for `wait_agent` after `spawn_agent`).

Every POST /v1/responses (or /responses) is answered as a server-sent event stream with the full
sequence (created, output_item.added, argument or text deltas and done, output_item.done,
completed with the output and usage): Copilot CLI needs all of it, Codex takes it too. Every
request is appended to --log as one JSON line: {path, conversation, turn, body, reply}.
"""

import argparse
import itertools
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_ids = itertools.count(1)
_lock = threading.Lock()
AGENT_ID = re.compile(r'"?(?:agent_id|id)"?\s*[:=]\s*"?([0-9a-fA-F-]{8,}|[A-Za-z0-9_-]{12,})')
OUTPUT_TYPES = ("function_call_output", "custom_tool_call_output")


def texts(item):
    content = item.get("content")
    if isinstance(content, str):
        return [content]
    return [c.get("text", "") for c in content or [] if isinstance(c, dict)]


def classify(body):
    items = body.get("input") or []
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    conv = "main"
    for it in items:
        if it.get("type", "message") == "message" and it.get("role") == "user":
            if any("SUBTASK" in t for t in texts(it)):
                conv = "sub"
    outputs = [it for it in items if it.get("type") in OUTPUT_TYPES]
    return conv, len(outputs), outputs


def agent_id(outputs):
    for o in outputs:
        out = o.get("output")
        text = out if isinstance(out, str) else json.dumps(out)
        m = AGENT_ID.search(text)
        if m:
            return m.group(1)
    return ""


def reply_item(script, conv, turn, outputs):
    items = script.get(conv, [])
    n = next(_ids)
    if turn >= len(items):
        item = {"type": "message", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": "Done.", "annotations": []}]}
    else:
        item = json.loads(json.dumps(items[turn]))
        item.setdefault("status", "completed")
        if item["type"] in ("function_call", "custom_tool_call"):
            item.setdefault("call_id", "call_e2e%06d" % n)
        if item["type"] == "function_call" and "$AGENT_ID" in item.get("arguments", ""):
            item["arguments"] = item["arguments"].replace("$AGENT_ID", agent_id(outputs))
        if item["type"] == "message":
            item.setdefault("role", "assistant")
    item.setdefault("id", "item_e2e%06d" % n)
    return item


def events(item, model):
    rid = "resp_e2e%06d" % next(_ids)
    base = {"id": rid, "object": "response", "model": model, "status": "in_progress", "output": []}
    yield "response.created", {"response": base}
    yield "response.in_progress", {"response": base}
    added = dict(item)
    added["status"] = "in_progress"
    if item["type"] == "message":
        added["content"] = []
    yield "response.output_item.added", {"output_index": 0, "item": added}
    if item["type"] == "message":
        text = item["content"][0]["text"]
        part = {"type": "output_text", "text": "", "annotations": []}
        yield "response.content_part.added", {"item_id": item["id"], "output_index": 0, "content_index": 0, "part": part}
        yield "response.output_text.delta", {"item_id": item["id"], "output_index": 0, "content_index": 0, "delta": text}
        yield "response.output_text.done", {"item_id": item["id"], "output_index": 0, "content_index": 0, "text": text}
        part["text"] = text
        yield "response.content_part.done", {"item_id": item["id"], "output_index": 0, "content_index": 0, "part": part}
    elif item["type"] == "function_call":
        args = item.get("arguments", "")
        yield "response.function_call_arguments.delta", {"item_id": item["id"], "output_index": 0, "delta": args}
        yield "response.function_call_arguments.done", {"item_id": item["id"], "output_index": 0, "arguments": args}
    elif item["type"] == "custom_tool_call":
        text = item.get("input", "")
        yield "response.custom_tool_call_input.delta", {"item_id": item["id"], "output_index": 0, "delta": text}
        yield "response.custom_tool_call_input.done", {"item_id": item["id"], "output_index": 0, "input": text}
    yield "response.output_item.done", {"output_index": 0, "item": item}
    done = dict(base, status="completed", output=[item],
                usage={"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
                       "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
                       "total_tokens": 15})
    yield "response.completed", {"response": done}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {"raw": raw.decode("utf-8", "replace")}

    def _log(self, entry):
        if self.server.log:
            with _lock, open(self.server.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def do_GET(self):
        # Model lists and health checks: an empty but valid answer.
        body = json.dumps({"object": "list", "data": [], "models": []}).encode()
        self._log({"method": "GET", "path": self.path})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self._body()
        if not self.path.rstrip("/").endswith("/responses"):
            self._log({"method": "POST", "path": self.path, "body": body})
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        conv, turn, outputs = classify(body)
        item = reply_item(self.server.script, conv, turn, outputs)
        self._log({"method": "POST", "path": self.path, "conversation": conv, "turn": turn,
                   "body": body, "reply": item})
        chunks = []
        for name, data in events(item, body.get("model", "stub-model")):
            data = dict(data, type=name, sequence_number=len(chunks))
            chunks.append("event: %s\ndata: %s\n\n" % (name, json.dumps(data)))
        payload = "".join(chunks).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--log")
    ap.add_argument("--exit-on-stdin-eof", action="store_true")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.script) as f:
        server.script = json.load(f)
    server.log = args.log
    print(server.server_address[1], flush=True)
    if args.exit_on_stdin_eof:
        def watch():
            sys.stdin.read()
            server.shutdown()
        threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
