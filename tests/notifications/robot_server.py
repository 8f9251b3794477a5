"""A local stand-in for the chat platforms: a real HTTP server (in a thread) that checks each
request the way WeCom, DingTalk and Feishu document it, and a signed webhook receiver.

It computes the signatures itself (not with Liftoff's code), accepts a request only when it is
signed right, answers like the platform (`errcode` / `code`), and records what it accepted.
"""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM_KEY = "wecom-key-123"
DINGTALK_TOKEN = "ding-token-456"
FEISHU_HOOK = "feishu-hook-789"


class RobotServer:
    def __init__(self, *, dingtalk_secret="SECding", feishu_secret="feishu-secret", webhook_secret="hook-secret"):
        self.secrets = {"dingtalk": dingtalk_secret, "feishu": feishu_secret, "webhook": webhook_secret}
        self.accepted = []  # (platform, text, raw request) of every accepted request
        self.rejected = []  # (platform, reason)
        self.fail_with = None  # an HTTP status to answer every request with (the endpoint is down)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if server.fail_with:
                    return self._answer(server.fail_with, {"error": "down"})
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                platform = url.path.strip("/").split("/")[0]
                handler = getattr(server, f"_check_{platform}", None)
                if handler is None:
                    return self._answer(404, {"error": "no such robot"})
                status, answer, text = handler(url.path, query, self.headers, body)
                with server.lock:
                    if text is not None:
                        server.accepted.append((platform, text, body))
                    else:
                        server.rejected.append((platform, answer))
                return self._answer(status, answer)

            def _answer(self, status, data):
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- the platforms' rules -------------------------------------------------------------
    def _check_wecom(self, path, query, headers, body):
        data = json.loads(body)
        if query.get("key") != WECOM_KEY:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, None
        if data.get("msgtype") != "text" or not data.get("text", {}).get("content"):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}, None
        if len(data["text"]["content"].encode()) > 2048:
            return 200, {"errcode": 40058, "errmsg": "content exceed max length"}, None
        return 200, {"errcode": 0, "errmsg": "ok"}, data["text"]["content"]

    def _check_dingtalk(self, path, query, headers, body):
        data = json.loads(body)
        timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
        if query.get("access_token") != DINGTALK_TOKEN:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}, None
        if not (timestamp.isdigit() and len(timestamp) == 13):  # milliseconds
            return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}, None
        secret = self.secrets["dingtalk"]
        expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(),
                                             hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(sign, expected):
            return 200, {"errcode": 310000, "errmsg": "sign not match"}, None
        return 200, {"errcode": 0, "errmsg": "ok"}, data["text"]["content"]

    def _check_feishu(self, path, query, headers, body):
        data = json.loads(body)
        timestamp, sign = str(data.get("timestamp", "")), data.get("sign", "")
        if path.rstrip("/").split("/")[-1] != FEISHU_HOOK:
            return 200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}, None
        if not (timestamp.isdigit() and len(timestamp) == 10):  # seconds
            return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, None
        key = f"{timestamp}\n{self.secrets['feishu']}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(sign, expected):
            return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, None
        return 200, {"code": 0, "msg": "success", "data": {}}, data["content"]["text"]

    def _check_webhook(self, path, query, headers, body):
        timestamp = headers.get("X-Liftoff-Timestamp", "")
        given = headers.get("X-Liftoff-Signature", "")
        expected = "sha256=" + hmac.new(self.secrets["webhook"].encode(), timestamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        if not timestamp.isdigit() or not hmac.compare_digest(given, expected):
            return 401, {"error": "bad signature"}, None
        return 200, {"ok": True}, json.loads(body)["text"]

    # --- addresses ----------------------------------------------------------------------------
    @property
    def wecom_url(self):
        return f"{self.base}/wecom/cgi-bin/webhook/send?key={WECOM_KEY}"

    @property
    def dingtalk_url(self):
        return f"{self.base}/dingtalk/robot/send?access_token={DINGTALK_TOKEN}"

    @property
    def feishu_url(self):
        return f"{self.base}/feishu/open-apis/bot/v2/hook/{FEISHU_HOOK}"

    @property
    def webhook_url(self):
        return f"{self.base}/webhook/liftoff"

    def texts(self, platform=None):
        with self.lock:
            return [text for p, text, _body in self.accepted if platform in (None, p)]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
