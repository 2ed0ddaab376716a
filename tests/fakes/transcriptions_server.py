#!/usr/bin/env python3
"""A local stand-in for an OpenAI-compatible speech-to-text service.

Speaks the real wire format of POST /v1/audio/transcriptions: a multipart
form with `file` (here: a 16 kHz mono 16-bit WAV is required), `model`,
`response_format=verbose_json` and `timestamp_granularities[]`; answers
with `verbose_json` (text, language, duration, segments with avg_logprob,
words with start/end). It cannot recognise speech: it "hears" one word per
half second of audio ("word1 word2 ..."), which is enough to check how a
client maps times and confidences.

Behaviour for tests, chosen by the `model` field:
  ok            answer (default)
  flaky-N       answer 503 to the first N requests of this model, then ok
  slow          wait 5 s before answering (past the client's timeout)
  broken        always 500
Every request must carry `Authorization: Bearer test-key` (else 401).
GET /stats answers {"requests": {model: count}}.

Usage: transcriptions_server.py   (prints "PORT <n>" once listening)
"""
import json
import struct
import sys
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
lock = threading.Lock()


def parse_form(content_type, body):
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename():
            files[name] = (part.get_filename(), part.get_content_type(), data)
        else:
            fields.setdefault(name, []).append(data.decode())
    return fields, files


def wav_seconds(data):
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    channels, rate = struct.unpack("<HI", data[22:28])
    bits = struct.unpack("<H", data[34:36])[0]
    if (channels, rate, bits) != (1, 16000, 16):
        raise ValueError(f"expected 16 kHz mono 16-bit, got {rate} Hz x{channels} {bits}-bit")
    return (len(data) - 44) / (rate * 2)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        if self.path == "/stats":
            with lock:
                self.reply(200, {"requests": dict(counts)})
        else:
            self.reply(404, {"error": {"message": "not found"}})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/audio/transcriptions":
            return self.reply(404, {"error": {"message": "not found"}})
        if self.headers.get("Authorization") != "Bearer test-key":
            return self.reply(401, {"error": {"message": "Incorrect API key provided."}})
        try:
            fields, files = parse_form(self.headers.get("Content-Type", ""), body)
            model = fields.get("model", ["ok"])[0]
            if fields.get("response_format") != ["verbose_json"]:
                raise ValueError("response_format must be verbose_json")
            if "word" not in fields.get("timestamp_granularities[]", []):
                raise ValueError("word timestamps were not asked for")
            seconds = wav_seconds(files["file"][2])
        except (KeyError, ValueError) as e:
            return self.reply(400, {"error": {"message": str(e)}})
        with lock:
            counts[model] = counts.get(model, 0) + 1
            n = counts[model]
        if model.startswith("flaky-") and n <= int(model.split("-")[1]):
            return self.reply(503, {"error": {"message": "overloaded"}})
        if model == "broken":
            return self.reply(500, {"error": {"message": "internal error"}})
        if model == "slow":
            time.sleep(5)
        words = [{"word": f"word{i + 1}", "start": round(i * 0.5 + 0.1, 2), "end": round(i * 0.5 + 0.4, 2)}
                 for i in range(int(seconds / 0.5))]
        text = " ".join(w["word"] for w in words)
        self.reply(200, {
            "task": "transcribe", "language": "english", "duration": seconds, "text": text,
            "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": seconds, "text": text,
                          "avg_logprob": -0.105, "no_speech_prob": 0.01}] if words else [],
            "words": words,
        })


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
