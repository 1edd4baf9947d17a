"""Requests to the Flask app served by Werkzeug's real server, run under ddtrace and under v2."""

import http.client
import os
import threading

import steps
from flask import jsonify
from flask_app import app
from flask_app import create_app
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

# Helpers outside a request (an app context, as in a CLI command) make traces of their own.
with app.app_context():
    jsonify(outside="a request")

# One request at a time: each response is closed (its spans finished) before the next request.
# A second app is mounted at /api, as a DispatcherMiddleware mount.
server = make_server("127.0.0.1", int(os.environ["DDI_HTTP_PORT"]), DispatcherMiddleware(app, {"/api": create_app()}))
threading.Thread(target=server.serve_forever, daemon=True).start()

REQUESTS = [
    ("GET", "/", {}),
    ("GET", "/users/42?token=s3cr3t&page=2", {"User-Agent": "ddi-workload"}),
    ("POST", "/greet/ann", {}),
    ("GET", "/nowhere", {}),
    ("GET", "/boom", {}),
    ("GET", "/forbidden", {}),
    ("GET", "/teapot", {}),
    ("GET", "/seen/12345", {}),  # prints the resource a before_request hook read
    ("GET", "/renamed", {}),
    ("GET", "/api/users/9", {}),
    ("GET", "/stream", {}),
    ("GET", "/shop/items/kettle", {}),
    ("GET", "/", {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"}),
    ("GET", "/greet/gateway", steps.through_gateway("/greet/gateway", "/greet/{name}")),
]

for method, path, headers in REQUESTS:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    print(method, path, response.status, body.decode() if path.startswith("/seen/") else len(body))
    conn.close()
server.shutdown()
