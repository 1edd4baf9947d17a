"""Requests to the Starlette or the FastAPI app (DDI_ASGI_APP) served by a real uvicorn server in this process or,
with DDI_ASGI_SERVER=testclient, sent through Starlette's test client, run under ddtrace and under v2. Each
request is a trace of its own (the server spans are roots); the background step waits for its tasks, whose spans
are traces of their own."""

import asyncio
import http.client
import os
import threading
import time

import asgi_apps
import steps
import uvicorn

PORT = int(os.environ["DDI_HTTP_PORT"])
APP = os.environ.get("DDI_ASGI_APP", "starlette")
TEST_CLIENT = os.environ.get("DDI_ASGI_SERVER") == "testclient"
app = asgi_apps.create_starlette() if APP == "starlette" else asgi_apps.create_fastapi()


def send(method, path, headers):
    """The status and body of one request, on a connection of its own."""
    if TEST_CLIENT:
        response = client.request(method, path, headers=headers)
        return response.status_code, response.content
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    conn.request(method, path, headers=headers)
    answer = conn.getresponse()
    body = answer.read()
    conn.close()
    return answer.status, body


if TEST_CLIENT:
    from starlette.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
else:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

REQUESTS = [
    ("GET", "/", {}),
    ("GET", "/items/42?q=kettle&token=s3cr3t", {"User-Agent": "ddi-workload", "X-User-Id": "7"}),
    ("POST", "/greet/ann", {}),
    ("GET", "/nowhere", {}),
    ("GET", "/boom", {}),
    ("GET", "/forbidden", {}),
    ("GET", "/unavailable", {}),
    ("GET", "/stream", {}),
    ("GET", "/background", {}),
    ("GET", "/api/items/k1", {}),
    ("GET", "/shop/items/kettle", {}),
    ("GET", "/users/7", {}),
    ("GET", "/seen/12345", {}),  # prints the resource the endpoint read
    # CORS preflights, answered by the middleware before any router step
    ("OPTIONS", "/items/9", {"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"}),
    ("OPTIONS", "/api/items/k2", {"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"}),
    ("GET", "/", {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"}),
    ("GET", "/greet/gateway", steps.through_gateway("/greet/gateway", "/greet/{name}")),
]

for method, path, headers in REQUESTS:
    status, body = send(method, path, headers)
    print(method, path, status, body.decode() if path.startswith("/seen/") else len(body))
    if path == "/background":
        deadline = time.monotonic() + 10
        while len(asgi_apps.DONE) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        print(sorted(asgi_apps.DONE))
    time.sleep(0.05)  # the request span ends after the body was sent: each trace ends before the next begins
if not TEST_CLIENT:
    server.should_exit = True
    thread.join(10)
