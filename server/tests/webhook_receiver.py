#!/usr/bin/env python3
"""A webhook receiver written independently of Plugboard, with Python's standard library only.

Usage: webhook_receiver.py SECRET_FILE

Listens on a free loopback port and prints `PORT=<n>`. For every POST it reads the signing
secret from SECRET_FILE, checks Plugboard-Webhook-Signature (v1 = hex HMAC-SHA256 of
"<timestamp>.<body>") and the timestamp's freshness, and prints one line:
`ok <event id> <event type> <body>` (answering 204) or `bad <reason>` (answering 401).
"""
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time

SECRET_FILE = sys.argv[1]
TOLERANCE_SECONDS = 300
PRINTING = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        timestamp = self.headers.get("Plugboard-Webhook-Timestamp", "")
        signature = self.headers.get("Plugboard-Webhook-Signature", "")
        with open(SECRET_FILE, "rb") as f:
            secret = f.read().strip()
        expected = "v1=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            verdict = "bad stale-or-missing-timestamp"
        elif not hmac.compare_digest(expected, signature):
            verdict = "bad signature"
        else:
            event = json.loads(body)
            if event.get("id") != self.headers.get("Plugboard-Webhook-Id"):
                verdict = "bad id-mismatch"
            else:
                verdict = "ok %s %s %s" % (event["id"], event["type"], body.decode())
        with PRINTING:
            print(verdict, flush=True)
        self.send_response(204 if verdict.startswith("ok") else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print("PORT=%d" % server.server_address[1], flush=True)
server.serve_forever()
