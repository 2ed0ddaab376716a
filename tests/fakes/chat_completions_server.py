#!/usr/bin/env python3
"""A local stand-in for an OpenAI-compatible chat completions service.

Speaks the real wire format of POST /v1/chat/completions: a JSON body with
`model`, `messages` (system, user) and `response_format` of type
`json_schema`; answers with a `chat.completion` object whose
`choices[0].message.content` is the model's JSON text. It cannot judge an
interview: it reads the question ids from the user message (a JSON
document with "questions": [{"id", ...}]) and writes one feedback line for
each, and one strength and one improvement for the first.

Behaviour for tests, chosen by the `model` field:
  ok              a reply that follows the schema (default)
  malformed       content that is not JSON, every time
  malformed-once  not JSON the first time, then ok
  wrong-shape     JSON that does not follow the schema
  unknown-id      follows the schema but names a question that was not asked
  no-points       follows the schema with no strengths and no improvements
  slow            waits 5 s before answering (past the client's deadline)
  limited-N       429 to the first N requests of this model, then ok
  broken          always 500
Every request must carry `Authorization: Bearer test-key` (else 401) and a
`response_format` with a strict json_schema (else 400).
GET /stats answers {"requests": {model: count}, "last": the last request body}.

Usage: chat_completions_server.py   (prints "PORT <n>" once listening)
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
last = {}
lock = threading.Lock()


def completion(model, content):
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content, "refusal": None}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def feedback(ids):
    return {
        "answers": [{"questionId": i, "feedback": f"Feedback on {i}: lead with the result."}
                    for i in ids],
        "strengths": [{"questionId": ids[0], "text": "A concrete story with a clear outcome."}],
        "improvements": [{"questionId": ids[0], "text": "Say what you did, not what the team did."}],
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        if self.path == "/stats":
            with lock:
                self.reply(200, {"requests": dict(counts), "last": last.get("body")})
        else:
            self.reply(404, {"error": {"message": "not found"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.path != "/v1/chat/completions":
            return self.reply(404, {"error": {"message": "not found"}})
        if self.headers.get("Authorization") != "Bearer test-key":
            return self.reply(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
        try:
            body = json.loads(raw)
            fmt = body["response_format"]
            assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
            user = next(m["content"] for m in body["messages"] if m["role"] == "user")
            ids = [q["id"] for q in json.loads(user)["questions"]]
        except Exception as e:  # noqa: BLE001
            return self.reply(400, {"error": {"message": f"bad request: {e}"}})
        model = body.get("model", "ok")
        with lock:
            n = counts.get(model, 0) + 1
            counts[model] = n
            last["body"] = body
        if model == "slow":
            time.sleep(5)
        if model == "broken":
            return self.reply(500, {"error": {"message": "the model is down"}})
        if model.startswith("limited-") and n <= int(model.split("-")[1]):
            return self.reply(429, {"error": {"message": "rate limited"}}, [("Retry-After", "0")])
        if model == "malformed" or (model == "malformed-once" and n == 1):
            return self.reply(200, completion(model, "Here is my feedback: {not json"))
        if model == "wrong-shape":
            return self.reply(200, completion(model, json.dumps({"feedback": "fine"})))
        content = feedback(ids)
        if model == "unknown-id":
            content["strengths"][0]["questionId"] = "q999"
        if model == "no-points":
            content["strengths"], content["improvements"] = [], []
        return self.reply(200, completion(model, json.dumps(content)))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
