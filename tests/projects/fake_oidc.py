"""A tiny OpenID Connect provider for the single sign-on tests: a real HTTP server on localhost.

It serves the token endpoint (an RS256-signed id_token carrying the nonce the app sent), the
userinfo endpoint (the person's claims) and the JWKS with the public key, so mozilla-django-oidc
runs its whole callback over HTTP exactly as against the bank's provider. The authorization
step (the person typing their password at the provider) is played by the test: it reads the
state and nonce from the redirect and calls `grant(nonce, claims)` for a code.
"""

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID, CLIENT_SECRET = "liftoff-test", "client-secret-for-tests"


class FakeProvider:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes = {}  # code → (nonce, claims)
        self.tokens = {}  # access token → claims
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(provider.key.public_key()))
                    return self._json(200, {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
                if self.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = provider.tokens.get(token)
                    return self._json(200, claims) if claims else self._json(401, {"error": "invalid_token"})
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                if self.path != "/token":
                    return self._json(404, {"error": "not_found"})
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                code = form.get("code", [""])[0]
                if form.get("client_secret", [""])[0] != CLIENT_SECRET or code not in provider.codes:
                    return self._json(400, {"error": "invalid_grant"})
                nonce, claims = provider.codes.pop(code)
                now = int(time.time())
                id_token = jwt.encode({"iss": provider.url, "aud": CLIENT_ID, "sub": claims["preferred_username"],
                                       "iat": now, "exp": now + 300, "nonce": nonce},
                                      provider.key, algorithm="RS256", headers={"kid": "k1"})
                access = secrets.token_urlsafe(16)
                provider.tokens[access] = claims
                return self._json(200, {"access_token": access, "id_token": id_token, "token_type": "Bearer"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def grant(self, nonce, claims) -> str:
        code = secrets.token_urlsafe(12)
        self.codes[code] = (nonce, claims)
        return code
