"""A real OpenID Connect provider on 127.0.0.1 for the login tests (oidc-provider-mock).

The mock issues signed ID tokens from its own key, publishes it as a JWKS, and carries
any claims a test gives a user (acr, pid, authorization_details). It does not check PKCE,
so ``LocalProvider`` sits in front of it and does what Digdir's token endpoint does: refuses
a code whose ``code_verifier`` does not hash to the authorization request's
``code_challenge`` (S256). It can also tamper with the ID token it hands out, as an attacker
between us and the provider would.
"""

import base64
import hashlib
import io
import json
import threading
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests
import werkzeug.serving
from oidc_provider_mock import app as provider_app

CLIENT_ID = "frikommune-test"
CLIENT_SECRET = "test-secret-not-used-in-production"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LocalProvider:
    """WSGI wrapper of the mock: PKCE enforced, requests recorded, tokens optionally forged."""

    def __init__(self, app):
        self.app = app
        self.challenges: dict[str, str] = {}  # authorization code → code_challenge
        self.authorize_queries: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.tamper = None  # callable(payload dict) -> payload dict, applied unsigned
        self.url = ""

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        self.paths.append(path)
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/oauth2/authorize":
            self.authorize_queries.append(query)
            return self._authorize(environ, start_response, query)
        if path == "/oauth2/token" and environ["REQUEST_METHOD"] == "POST":
            return self._token(environ, start_response)
        return self.app(environ, start_response)

    def _authorize(self, environ, start_response, query):
        def remember_code(status, headers, exc_info=None):
            location = dict(headers).get("Location", "")
            code = parse_qs(urlsplit(location).query).get("code", [""])[0]
            if code:
                self.challenges[code] = query.get("code_challenge", "")
            return start_response(status, headers, exc_info)

        return self.app(environ, remember_code)

    def _token(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.token_requests.append(form)
        challenge = self.challenges.pop(form.get("code", ""), "")
        verifier = form.get("code_verifier", "")
        if not challenge or _b64(hashlib.sha256(verifier.encode()).digest()) != challenge:
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [b'{"error": "invalid_grant", "error_description": "PKCE failed"}']
        environ["wsgi.input"] = io.BytesIO(body)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = b"".join(self.app(environ, capture))
        if self.tamper is not None and captured["status"].startswith("200"):
            token = json.loads(chunks)
            header, payload, signature = token["id_token"].split(".")
            forged = self.tamper(json.loads(_unb64(payload)))
            token["id_token"] = ".".join([header, _b64(json.dumps(forged).encode()), signature])
            chunks = json.dumps(token).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(chunks))))
        start_response(captured["status"], headers)
        return [chunks]

    def set_user(self, sub: str, **claims) -> None:
        """The claims the provider sends for ``sub`` (ID token and userinfo)."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()

    def settings_for(self, key: str = "idporten", *, acr: str = "idporten-loa-substantial"):
        return {
            "name": "",
            "issuer": self.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": "openid profile email",
            "acr": acr,
            "authorization_endpoint": "",
            "token_endpoint": "",
            "jwks_uri": "",
            "userinfo_endpoint": "",
            "end_session_endpoint": "",
        }


@contextmanager
def local_provider(*, token_max_age: timedelta = timedelta(hours=1)):
    """A provider on 127.0.0.1 (a free port) for the duration of the block."""
    wrapped = LocalProvider(provider_app(require_nonce=True, access_token_max_age=token_max_age))
    server = werkzeug.serving.make_server("127.0.0.1", 0, wrapped, threaded=True)
    wrapped.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield wrapped
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
