"""A Starlette app and a FastAPI app touching every traced step: route templates, path params, a mounted app,
a mounted router, an included router, errors and HTTP exceptions, a streamed body, background tasks.

Built by functions, after patching (as an application is under ``ddtrace-run`` / ``ddtrace-integrations run``)."""

import asyncio
import threading
from typing import Any
from typing import List


class Teapot(Exception):
    pass


# What the background tasks did (the tests wait on it: a task runs after the response was sent).
DONE: List[str] = []
TASKS_DONE = threading.Event()


def _sync_task(name: str) -> None:
    DONE.append(f"sync {name}")


async def _async_task(name: str) -> None:
    await asyncio.sleep(0)
    DONE.append(f"async {name}")
    TASKS_DONE.set()


def _root_resource() -> str:
    """The request span's resource as the endpoint reads it."""
    from ddtrace.trace import tracer

    root = tracer.current_root_span()
    return str(root.resource if root is not None else None)


async def _endless() -> Any:
    while True:
        await asyncio.sleep(0.01)
        yield "more\n"


async def _chunks() -> Any:
    for i in range(3):
        await asyncio.sleep(0.02)
        yield f"chunk {i}\n"


def create_starlette() -> Any:
    from starlette.applications import Starlette
    from starlette.background import BackgroundTasks
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.responses import JSONResponse
    from starlette.responses import PlainTextResponse
    from starlette.responses import StreamingResponse
    from starlette.routing import Mount
    from starlette.routing import Route

    async def index(request: Any) -> Any:
        return PlainTextResponse("hello")

    async def item(request: Any) -> Any:
        return JSONResponse({"item": request.path_params["item_id"]})

    def greet(request: Any) -> Any:  # a sync endpoint (run in a thread)
        return PlainTextResponse(f"hello {request.path_params['name']}")

    async def boom(request: Any) -> Any:
        raise Teapot("no tea")

    async def forbidden(request: Any) -> Any:
        raise HTTPException(status_code=403, detail="no")

    async def unavailable(request: Any) -> Any:
        raise HTTPException(status_code=503, detail="later")

    async def stream(request: Any) -> Any:
        return StreamingResponse(_chunks(), media_type="text/plain")

    async def endless(request: Any) -> Any:
        return StreamingResponse(_endless(), media_type="text/plain")

    async def background(request: Any) -> Any:
        tasks = BackgroundTasks()
        tasks.add_task(_sync_task, "starlette")
        tasks.add_task(_async_task, "starlette")
        return PlainTextResponse("queued", background=tasks)

    async def sub_item(request: Any) -> Any:
        return PlainTextResponse(f"sub {request.path_params['sku']}")

    async def shop_item(request: Any) -> Any:
        return PlainTextResponse(f"shop {request.path_params['name']}")

    async def echo(request: Any) -> Any:
        return PlainTextResponse(request.path_params["mark"])

    async def seen(request: Any) -> Any:
        return PlainTextResponse(_root_resource())

    sub = Starlette(routes=[Route("/items/{sku}", sub_item)])
    routes = [
        Route("/", index),
        Route("/items/{item_id:int}", item),
        Route("/greet/{name}", greet, methods=["GET", "POST"]),
        Route("/boom", boom),
        Route("/forbidden", forbidden),
        Route("/unavailable", unavailable),
        Route("/stream", stream),
        Route("/endless", endless),
        Route("/background", background),
        Route("/echo/{mark}", echo),
        Route("/seen/{n:int}", seen),
        Mount("/api", app=sub),
        Mount("/shop", routes=[Route("/items/{name}", shop_item)]),
    ]
    # a middleware answering before the router (a CORS preflight)
    return Starlette(routes=routes, middleware=[Middleware(CORSMiddleware, allow_origins=["https://shop.example"])])


def create_fastapi() -> Any:
    from fastapi import APIRouter
    from fastapi import BackgroundTasks
    from fastapi import Depends
    from fastapi import FastAPI
    from fastapi import HTTPException
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import PlainTextResponse
    from fastapi.responses import StreamingResponse

    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["https://shop.example"])  # answers preflights itself
    users = APIRouter(prefix="/users")

    def current_user() -> str:
        return "ann"

    @app.get("/")
    async def index() -> Any:
        return {"hello": "world"}

    @app.get("/items/{item_id}")
    async def item(item_id: int, q: str = "", user: str = Depends(current_user)) -> Any:
        return {"item": item_id, "q": q, "user": user}

    @app.post("/greet/{name}")
    def greet(name: str) -> Any:  # a sync endpoint (run in a thread)
        return {"hello": name}

    @app.get("/boom")
    async def boom() -> Any:
        raise Teapot("no tea")

    @app.get("/forbidden")
    async def forbidden() -> Any:
        raise HTTPException(status_code=403, detail="no")

    @app.get("/unavailable")
    async def unavailable() -> Any:
        raise HTTPException(status_code=503, detail="later")

    @app.get("/stream")
    async def stream() -> Any:
        return StreamingResponse(_chunks(), media_type="text/plain")

    @app.get("/endless")
    async def endless() -> Any:
        return StreamingResponse(_endless(), media_type="text/plain")

    @app.get("/background")
    async def background(tasks: BackgroundTasks) -> Any:
        tasks.add_task(_sync_task, "fastapi")
        tasks.add_task(_async_task, "fastapi")
        return PlainTextResponse("queued")

    @app.get("/echo/{mark}")
    async def echo(mark: str) -> Any:
        return PlainTextResponse(mark)

    @app.get("/seen/{n}")
    async def seen(n: int) -> Any:
        return PlainTextResponse(_root_resource())

    @users.get("/{uid}")
    async def user(uid: int) -> Any:
        return {"id": uid}

    app.include_router(users)
    sub = FastAPI()

    @sub.get("/items/{sku}")
    async def sub_item(sku: str) -> Any:
        return {"sku": sku}

    app.mount("/api", sub)
    return app


class Spill(Exception):
    pass


async def _echo(websocket: Any) -> None:
    """Echoes text and bytes until the client closes."""
    from starlette.websockets import WebSocketDisconnect

    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await websocket.send_text("echo " + message["text"])
            else:
                await websocket.send_bytes(b"echo " + message["bytes"])
    except WebSocketDisconnect:
        return


async def _bye(websocket: Any) -> None:
    """Answers one message, then closes with a code and a reason."""
    await websocket.accept()
    await websocket.send_text("hi " + await websocket.receive_text())
    await websocket.close(code=4001, reason="done")


async def _spill(websocket: Any) -> None:
    """Raises once a message came."""
    await websocket.accept()
    await websocket.receive_text()
    raise Spill("spilt")


async def _early(websocket: Any) -> None:
    """Raises before accepting."""
    raise Spill("too early")


async def _refuse(websocket: Any) -> None:
    """Closes before accepting: the server refuses the handshake."""
    await websocket.close(code=1008)


def websocket_routes() -> List[Any]:
    from starlette.routing import Mount
    from starlette.routing import WebSocketRoute

    return [
        WebSocketRoute("/ws/echo/{room}", _echo),
        WebSocketRoute("/ws/bye", _bye),
        WebSocketRoute("/ws/spill", _spill),
        WebSocketRoute("/ws/refuse", _refuse),
        WebSocketRoute("/ws/early", _early),
        Mount("/live", routes=[WebSocketRoute("/feed/{name}", _echo)]),
    ]


def create_starlette_websockets() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.routing import WebSocketRoute

    sub = Starlette(routes=[WebSocketRoute("/chat/{name}", _echo)])
    return Starlette(routes=[*websocket_routes(), Mount("/sub", app=sub)])


def create_fastapi_websockets() -> Any:
    from fastapi import FastAPI
    from fastapi import WebSocket

    app = FastAPI()

    @app.websocket("/ws/echo/{room}")
    async def echo(websocket: WebSocket, room: str) -> None:
        await _echo(websocket)

    @app.websocket("/ws/bye")
    async def bye(websocket: WebSocket) -> None:
        await _bye(websocket)

    @app.websocket("/ws/spill")
    async def spill(websocket: WebSocket) -> None:
        await _spill(websocket)

    @app.websocket("/ws/refuse")
    async def refuse(websocket: WebSocket) -> None:
        await _refuse(websocket)

    @app.websocket("/ws/early")
    async def early(websocket: WebSocket) -> None:
        await _early(websocket)

    return app


# Messages no application should send, sent by ``OddSender`` after the first message it receives.
ODD_MESSAGES: List[Any] = [
    {"type": "websocket.send", "text": None, "bytes": b"x"},
    {"type": "websocket.send", "text": 7},
    {"type": "websocket.send"},
    {"type": "websocket.send", "bytes": None},
    {"no": "type"},
    {"type": "websocket.send", "text": "\ud800"},
    {"type": "websocket.close", "code": "odd", "reason": 5},
    {"type": "websocket.close", "code": {}, "reason": None},
]


class OddSender:
    """A raw ASGI websocket endpoint: accepts, then answers the first message with ``ODD_MESSAGES``."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        message = await receive()
        if isinstance(message, dict) and message.get("type") == "websocket.receive":
            for odd in ODD_MESSAGES:
                await send(odd)
        await receive()


def create_starlette_odd_websockets() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    return Starlette(routes=[*websocket_routes(), WebSocketRoute("/ws/odd", OddSender())])
