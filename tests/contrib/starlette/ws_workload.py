"""Websocket connections to the Starlette or the FastAPI app (DDI_ASGI_APP), through Starlette's test client or
(DDI_WS_SERVER=uvicorn) to a real uvicorn server in this process, run under ddtrace and under v2: messages both
ways (text and bytes), a client's close, a server's close with a code and a reason, an endpoint raising (after
accepting, and before), a refused handshake, a caller's distributed context, a server cancelling the application
while it waits for a message, a mounted route and a mounted application (Starlette)."""

import asyncio
import os
import threading
import time

import asgi_apps

APP = os.environ.get("DDI_ASGI_APP", "starlette")
app = asgi_apps.create_starlette_websockets() if APP == "starlette" else asgi_apps.create_fastapi_websockets()
CALLER = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "2"}


class TestClientSteps:
    def __init__(self):
        from starlette.testclient import TestClient
        from starlette.websockets import WebSocketDisconnect

        self.client = TestClient(app)
        self.closed = WebSocketDisconnect

    def connect(self, path, headers):
        return self.client.websocket_connect(path, headers=dict(headers))

    def echo(self, path, headers=()):
        with self.connect(path, headers) as ws:
            ws.send_text("kettle")
            print(path, ws.receive_text())
            ws.send_bytes(b"\x00\x01")
            print(path, ws.receive_bytes())

    def bye(self):
        with self.connect("/ws/bye", ()) as ws:
            ws.send_text("ann")
            print("bye", ws.receive_text())
            try:
                ws.receive_text()
            except self.closed as e:
                print("bye closed", e.code, e.reason)

    def spill(self):
        try:
            with self.connect("/ws/spill", ()) as ws:
                ws.send_text("tea")
                ws.receive_text()
        except asgi_apps.Spill as e:
            print("spill raised", e)

    def refuse(self):
        try:
            with self.connect("/ws/refuse", ()):
                pass
        except self.closed as e:
            print("refused", e.code)

    def early(self):
        try:
            with self.connect("/ws/early", ()):
                pass
        except asgi_apps.Spill as e:
            print("early raised", e)


class UvicornSteps:
    def __init__(self):
        import uvicorn

        self.port = int(os.environ["DDI_HTTP_PORT"])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="critical", lifespan="off")
        self.server = uvicorn.Server(config)
        thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)
        thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def connect(self, path, headers=()):
        from websockets.sync.client import connect

        return connect(f"ws://127.0.0.1:{self.port}{path}", additional_headers=dict(headers))

    def echo(self, path, headers=()):
        with self.connect(path, headers) as ws:
            ws.send("kettle")
            print(path, ws.recv())
            ws.send(b"\x00\x01")
            print(path, ws.recv())

    def bye(self):
        from websockets.exceptions import ConnectionClosed

        with self.connect("/ws/bye") as ws:
            ws.send("ann")
            print("bye", ws.recv())
            try:
                ws.recv()
            except ConnectionClosed as e:
                print("bye closed", e.rcvd.code, e.rcvd.reason)

    def spill(self):
        from websockets.exceptions import ConnectionClosed

        with self.connect("/ws/spill") as ws:
            ws.send("tea")
            try:
                ws.recv()
            except ConnectionClosed as e:
                print("spill closed", e.rcvd is None)

    def refuse(self, path="/ws/refuse"):
        from websockets.exceptions import InvalidStatus

        try:
            with self.connect(path):
                pass
        except InvalidStatus as e:
            print("refused", path, e.response.status_code)

    def early(self):
        self.refuse("/ws/early")


def cancelled():
    """The server cancels the application's task while it waits for a message (called as a server calls it)."""
    scope = {"type": "websocket", "path": "/ws/echo/c", "raw_path": b"/ws/echo/c", "query_string": b""}
    scope.update(scheme="ws", headers=[(b"host", b"t")], server=("t", 80), client=("127.0.0.1", 1))
    incoming = [{"type": "websocket.connect"}]

    async def receive():
        if incoming:
            return incoming.pop()
        await asyncio.sleep(60)

    async def send(message):
        pass

    async def run():
        task = asyncio.ensure_future(app(scope, receive, send))
        await asyncio.sleep(0.05)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            print("cancelled")

    asyncio.run(run())


steps = UvicornSteps() if os.environ.get("DDI_WS_SERVER") == "uvicorn" else TestClientSteps()
STEPS = [lambda: steps.echo("/ws/echo/lobby"), steps.bye, steps.spill, steps.refuse, steps.early]
STEPS.append(lambda: steps.echo("/ws/echo/vip", CALLER))
STEPS.append(cancelled)
if APP == "starlette":
    STEPS.append(lambda: steps.echo("/live/feed/news"))
    STEPS.append(lambda: steps.echo("/sub/chat/bob"))
for step in STEPS:
    step()
    time.sleep(0.1)  # each connection's spans end before the next begins
if isinstance(steps, UvicornSteps):
    steps.server.should_exit = True
    time.sleep(0.2)
