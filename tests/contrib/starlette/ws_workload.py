"""Websocket connections to the Starlette or the FastAPI app (DDI_ASGI_APP) through Starlette's test client, run
under ddtrace and under v2: messages both ways (text and bytes), a client's close, a server's close with a code
and a reason, an endpoint raising, a refused handshake, a caller's distributed context, a mounted route."""

import os
import time

import asgi_apps
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

APP = os.environ.get("DDI_ASGI_APP", "starlette")
app = asgi_apps.create_starlette_websockets() if APP == "starlette" else asgi_apps.create_fastapi_websockets()
client = TestClient(app)
CALLER = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "2"}


def echo(path, headers=()):
    with client.websocket_connect(path, headers=dict(headers)) as ws:
        ws.send_text("kettle")
        print(path, ws.receive_text())
        ws.send_bytes(b"\x00\x01")
        print(path, ws.receive_bytes())


def bye():
    with client.websocket_connect("/ws/bye") as ws:
        ws.send_text("ann")
        print("bye", ws.receive_text())
        try:
            ws.receive_text()
        except WebSocketDisconnect as e:
            print("bye closed", e.code, e.reason)


def spill():
    try:
        with client.websocket_connect("/ws/spill") as ws:
            ws.send_text("tea")
            ws.receive_text()
    except asgi_apps.Spill as e:
        print("spill raised", e)


def refuse():
    try:
        with client.websocket_connect("/ws/refuse"):
            pass
    except WebSocketDisconnect as e:
        print("refused", e.code)


STEPS = [lambda: echo("/ws/echo/lobby"), bye, spill, refuse, lambda: echo("/ws/echo/vip", CALLER)]
if APP == "starlette":
    STEPS.append(lambda: echo("/live/feed/news"))
for step in STEPS:
    step()
    time.sleep(0.05)  # each connection's spans end before the next begins
