"""gunicorn's configuration (``gunicorn --config config/gunicorn.py config.wsgi``), from the
environment like every other setting; ``scripts/serve.sh`` starts it this way."""

import os

from config.env import env, env_int

bind = env("WEB_BIND", "127.0.0.1:8000", "Address gunicorn listens on (host:port or unix:/path).")
workers = env_int(
    "WEB_CONCURRENCY",
    2 * (os.cpu_count() or 1) + 1,
    "gunicorn worker processes; empty: twice the CPU cores plus one.",
)
timeout = env_int(
    "WEB_TIMEOUT", 60, "Seconds a request may take before gunicorn restarts its worker."
)
accesslog = "-"
# Whether a request came over HTTPS is Django's to decide, from TRUSTED_PROXY_COUNT
# (SECURE_PROXY_SSL_HEADER); gunicorn trusts no forwarding header itself.
forwarded_allow_ips = ""
# gunicorn ≥ 25 opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl), which
# a second instance on the host (CI's smoke beside a benchmark) would take over; none is used.
control_socket_disable = True
