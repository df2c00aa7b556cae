#!/usr/bin/env python3
"""A publishing tool's side of Plugboard, in the standard library only.

    export PLUGBOARD_URL=http://127.0.0.1:3000
    export PLUGBOARD_API_KEY=pb_...          # Settings -> API keys
    publishing_tool.py accounts
    publishing_tool.py token <account id>
    publishing_tool.py schedule --text "Hello" --at 2026-12-01T09:00:00Z --account <id> [--account <id>]
    publishing_tool.py posts [--status scheduled|cancelled]
    publishing_tool.py cancel <post id>

Add --json before the command for machine-readable output. The API is described at
$PLUGBOARD_URL/api/v1/openapi.json.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


def call(method, path, body=None, headers=None, attempts=3):
    """One API call. Outages (5xx, refused connections) are retried; with an Idempotency-Key a
    retried create can never make a second post."""
    url = os.environ.get("PLUGBOARD_URL", "http://127.0.0.1:3000").rstrip("/") + path
    data = None if body is None else json.dumps(body).encode()
    request_headers = {"Authorization": f"Bearer {os.environ['PLUGBOARD_API_KEY']}", **(headers or {})}
    if data is not None:
        request_headers["Content-Type"] = "application/json"
    for attempt in range(attempts):
        request = urllib.request.Request(url, data=data, method=method, headers=request_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read())["error"]
            except (ValueError, KeyError):
                detail = {"code": "http_error", "message": error.reason}
            if error.code < 500 or attempt == attempts - 1:
                raise ApiError(error.code, detail["code"], detail["message"]) from None
        except urllib.error.URLError:
            if attempt == attempts - 1:
                raise
        time.sleep(2**attempt)


def show(args, value, lines):
    if args.json:
        print(json.dumps(value, indent=2))
    else:
        for line in lines:
            print(line)


def targets(post):
    return ", ".join(f"{t['platform']}:{t['username']}" for t in post["targets"]) or "(none)"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("accounts", help="list the connected accounts")
    token = commands.add_parser("token", help="get a fresh access token for an account")
    token.add_argument("account")
    schedule = commands.add_parser("schedule", help="schedule a post")
    schedule.add_argument("--text", required=True)
    schedule.add_argument("--at", required=True, help="RFC 3339, e.g. 2026-12-01T09:00:00Z")
    schedule.add_argument("--account", action="append", required=True, help="repeat for several")
    posts = commands.add_parser("posts", help="list posts")
    posts.add_argument("--status", choices=["scheduled", "cancelled"])
    cancel = commands.add_parser("cancel", help="cancel a scheduled post")
    cancel.add_argument("post")
    args = parser.parse_args()

    try:
        if args.command == "accounts":
            accounts = call("GET", "/api/v1/accounts")["accounts"]
            show(args, accounts, [f"{a['id']}  {a['platform']:<10} {a['username']:<24} {a['status']}" for a in accounts])
        elif args.command == "token":
            token = call("POST", f"/api/v1/accounts/{args.account}/access-token")
            show(args, token, [f"{token['access_token']}  (expires {token['expires_at'] or 'never'})"])
        elif args.command == "schedule":
            body = {"text": args.text, "scheduled_at": args.at, "account_ids": args.account}
            post = call("POST", "/api/v1/posts", body, {"Idempotency-Key": str(uuid.uuid4())})
            show(args, post, [f"{post['id']}  {post['status']} for {post['scheduled_at']} to {targets(post)}"])
        elif args.command == "posts":
            query, listed, cursor = "", [], None
            if args.status:
                query = f"&status={args.status}"
            while True:
                page = call("GET", f"/api/v1/posts?limit=200{query}" + (f"&cursor={cursor}" if cursor else ""))
                listed += page["posts"]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            show(args, listed, [
                f"{p['id']}  {p['status']:<9} {p['cancel_reason'] or '':<20} {p['text'][:30]!r} to {targets(p)}"
                for p in listed
            ])
        elif args.command == "cancel":
            post = call("POST", f"/api/v1/posts/{args.post}/cancel")
            show(args, post, [f"{post['id']}  {post['status']}"])
    except ApiError as error:
        print(f"plugboard: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
