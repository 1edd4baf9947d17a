"""redis publisher: one ``redis.execute`` event per command and per pipeline, sync and asyncio, plain and cluster.

What every call on one client shares (its address, database, client name) is read once per connection pool or
cluster node manager and kept while that object lives. A command is shown as ddtrace shows it (each value cut at
100 characters, the whole at ``DD_REDIS_CMD_MAX_LENGTH``), except that passwords (``AUTH``, ``HELLO ... AUTH``,
``MIGRATE ... AUTH``, ``CONFIG SET requirepass``, ``ACL SETUSER`` rules) are shown as ``?``.
"""

from __future__ import annotations

import contextlib
import weakref
from types import ModuleType
from typing import Any
from typing import Dict
from typing import FrozenSet
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

from ddtrace_integrations.api import Args
from ddtrace_integrations.api import Event
from ddtrace_integrations.api import ExecutionContext
from ddtrace_integrations.api import Kwargs
from ddtrace_integrations.api import Publisher
from ddtrace_integrations.api import StorageContext
from ddtrace_integrations.api import find_pin
from ddtrace_integrations.api import integration_setting

supported_versions = {"redis": ">=4.3.2"}  # redis.asyncio.cluster.ClusterPipeline
publisher = Publisher("redis")

VALUE_LIMIT = 100  # each value's text is cut here, as ddtrace cuts it
CMD_LIMIT = 1000  # the whole command's, unless DD_REDIS_CMD_MAX_LENGTH says otherwise
HIDDEN = "?"
# Reads whose rows ddtrace counts (db.row_count), by the command's name as the client sent it.
ROW_COMMANDS: FrozenSet[str] = frozenset(
    {"GET", "GETDEL", "GETEX", "GETRANGE", "GETSET", "LINDEX", "LRANGE", "RPOP", "LPOP", "HGET", "HGETALL", "HKEYS"}
    | {"HMGET", "HRANDFIELD", "HVALS", "MGET"}
)
_EMPTY: Tuple[Any, ...] = (b"", [], {}, None)  # what ddtrace counts as no row
_SECRET_COMMANDS = frozenset({"AUTH", "HELLO", "MIGRATE", "CONFIG", "ACL"})
_ACL_SECRET_RULES = (">", "<", "#", "!")
_CONFIG_SECRETS = frozenset({"REQUIREPASS", "MASTERAUTH", "MASTERUSER"})

Connection = Tuple[Optional[str], Optional[int], Optional[int], Tuple[Tuple[str, Any], ...]]
_NO_CONNECTION: Connection = (None, None, None, ())
# Each pool's (or cluster node manager's) connection by its id, beside a weak reference that tells it is the same
# object and drops the entry with it (a WeakKeyDictionary's lookup is a Python call, and makes a weak reference).
_connections: Dict[int, Tuple[weakref.ref, Connection]] = {}
_patched: List[ModuleType] = []  # the redis module, once patched: its pin is every span's


def _read_connection(kwargs: Dict[str, Any]) -> Connection:
    """(host, port, database index, shared tags) from a pool's connection settings; nothing for a unix socket
    (no host), as ddtrace tags nothing then."""
    if "host" not in kwargs or "port" not in kwargs:
        return _NO_CONNECTION
    name = kwargs.get("client_name")
    return kwargs["host"], kwargs["port"], kwargs.get("db") or 0, (("redis.client_name", name),) if name else ()


def _read_cluster(nodes: Any) -> Connection:
    """A cluster is named after its first startup node, database 0."""
    startup = nodes.startup_nodes
    first = next(iter(startup.values()), None) if isinstance(startup, dict) else (startup[0] if startup else None)
    if first is None:
        return _NO_CONNECTION
    host, port = (first.get("host"), first.get("port")) if isinstance(first, dict) else (first.host, first.port)
    return (host, port, 0, ()) if host else _NO_CONNECTION


def _read(pool: Any, nodes: Any) -> Connection:
    try:
        return _read_connection(pool.connection_kwargs) if pool is not None else _read_cluster(nodes)
    except Exception:  # a pool of the application's own kind: the command is traced without its address
        return _NO_CONNECTION


def _connection(client: Any) -> Connection:
    pool = getattr(client, "connection_pool", None)
    owner = pool if pool is not None else getattr(client, "nodes_manager", None)
    if owner is None:
        return _NO_CONNECTION
    entry = _connections.get(id(owner))
    if entry is not None and entry[0]() is owner:
        return entry[1]
    found = _read(pool, owner)
    key = id(owner)
    with contextlib.suppress(TypeError):  # not weakly referable: read every time
        _connections[key] = (weakref.ref(owner, lambda _: _connections.pop(key, None)), found)
    return found


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return value if isinstance(value, str) else str(value)


def _hide_secrets(texts: List[str]) -> List[str]:
    """``texts`` with the values that are passwords replaced by ``?``. redis-py sends a subcommand with its
    command as one value ("CONFIG SET", "ACL SETUSER"): the words of the first value count as values here."""
    if texts[0].partition(" ")[0].upper() not in _SECRET_COMMANDS:
        return texts
    head = texts[0].split(" ")
    words = head + texts[1:]
    upper = [word.upper() for word in words]
    name = upper[0]
    hidden: List[int] = []
    if name == "AUTH":
        hidden = list(range(1, len(words)))
    elif name in ("HELLO", "MIGRATE"):
        for i, word in enumerate(upper):
            if word == "AUTH2" or (word == "AUTH" and name == "HELLO"):
                hidden += [i + 1, i + 2]
            elif word == "AUTH":
                hidden.append(i + 1)
    elif name == "CONFIG" and upper[1:2] == ["SET"]:
        hidden = [i + 1 for i in range(2, len(words) - 1, 2) if upper[i] in _CONFIG_SECRETS]
    elif name == "ACL" and upper[1:2] == ["SETUSER"]:
        hidden = [i for i in range(3, len(words)) if words[i].startswith(_ACL_SECRET_RULES)]
    for i in hidden:
        if i < len(words):
            words[i] = HIDDEN
    return [" ".join(words[: len(head)]), *words[len(head) :]]


def format_command(args: Sequence[Any], limit: int) -> str:
    """The command as ddtrace shows it: each value cut at VALUE_LIMIT, the whole at ``limit`` (the spaces between
    values not counted), a value that cannot be shown and all after it as one ``?``. A short command with no
    secret in it, the usual one, is joined in one step, without a step per value to cut it."""
    try:
        texts = [arg if type(arg) is str else _text(arg) for arg in args]
    except Exception:  # the general path shows what comes before the value that failed
        return _format(args, limit)
    joined = " ".join(texts)
    if joined and len(joined) <= VALUE_LIMIT and len(joined) < limit + len(args) and _ordinary(args[0]):
        return joined
    return _format(args, limit)


_ordinary_heads: Dict[Any, bool] = {}


def _ordinary(head: Any) -> bool:
    """Whether a command's first value names none of the commands whose values may be secrets (False when that
    cannot be told: the general path decides)."""
    try:
        return _ordinary_heads[head]
    except KeyError:
        pass
    except TypeError:  # unhashable
        return False
    try:
        ordinary = _text(head).partition(" ")[0].upper() not in _SECRET_COMMANDS
    except Exception:
        return False
    if len(_ordinary_heads) >= 512:  # commands are few; anything else must not accumulate
        _ordinary_heads.clear()
    _ordinary_heads[head] = ordinary
    return ordinary


def _format(args: Sequence[Any], limit: int) -> str:
    texts: List[str] = []
    for arg in args:
        try:
            texts.append(_text(arg))
        except Exception:
            texts.append(HIDDEN)
            break
    if not texts:
        return ""
    texts = _hide_secrets(texts)
    out: List[str] = []
    length = 0
    for text in texts:
        if len(text) > VALUE_LIMIT:
            text = text[:VALUE_LIMIT] + "..."
        if length + len(text) > limit:
            out.append(text[: limit - length] + "...")
            break
        out.append(text)
        length += len(text)
    return " ".join(out)


def _limit() -> int:
    limit = integration_setting("redis", "cmd_max_length")
    return limit if type(limit) is int else CMD_LIMIT


def _store(client: Any, command: str, raw: str, tags: Dict[str, Any]) -> Dict[str, Any]:
    host, port, index, shared = _connection(client)
    # by position (db_system, command, resource, raw_command, host, port, user, database, database_index,
    # connection_tags, rowcount, tags): a dataclass's keyword arguments cost a name match each, on every command
    store = StorageContext("redis", command, None, raw, host, port, None, None, index, shared, None, tags)
    # ddtrace's redis integration reads no pin: a client's own (its service, its tags) is left alone
    return {"storage_context": store, "pin": find_pin(None, _patched[0]) if _patched else None}


def _command(client: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    raw = format_command(args, _limit())
    return _store(client, raw.split(" ", 1)[0], raw, {"redis.args_length": len(args)})


def _pipeline(shown: List[str], client: Any, size: int) -> Dict[str, Any]:
    """``shown``: each queued command as ``format_command`` shows it."""
    command = "\n".join([text.partition(" ")[0] for text in shown])
    return _store(client, command, "\n".join(shown), {"redis.pipeline_length": size})


def _client_pipeline(pipe: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    stack, limit = pipe.command_stack, _limit()
    return _pipeline([format_command(command, limit) for command, _ in stack], pipe, len(stack))


def _queued(pipe: Any) -> List[Any]:
    """A cluster pipeline's queued commands: redis-py >= 6 keeps them in its execution strategy."""
    strategy = getattr(pipe, "_execution_strategy", None)
    if strategy is not None:
        return list(getattr(strategy, "command_queue", None) or getattr(strategy, "_command_queue", None) or ())
    return list(getattr(pipe, "command_stack", None) or getattr(pipe, "_command_stack", None) or ())


def _cluster_pipeline(pipe: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    queued, limit = _queued(pipe), _limit()
    return _pipeline([format_command(command.args, limit) for command in queued], pipe, len(queued))


def _rows(ctx: ExecutionContext, result: Any) -> None:
    """``db.row_count`` of a read, as ddtrace counts it: 0 when it raised or found nothing."""
    store: StorageContext = ctx.get_item("storage_context")
    args = ctx.get_item("args")
    if not args:
        return
    name = _text(args[0]).split(" ", 1)[0]
    if name not in ROW_COMMANDS:
        return
    if result in _EMPTY:
        store.rowcount = 0
    elif name == "MGET":
        store.rowcount = sum(value not in _EMPTY for value in result)
    elif name == "HMGET":
        store.rowcount = int(any(value not in _EMPTY for value in result))
    else:
        store.rowcount = 1


def patch(redis: ModuleType) -> None:
    import redis.asyncio.client as async_client
    import redis.asyncio.cluster as async_cluster
    import redis.client as client
    import redis.cluster as cluster

    publisher.pin(redis)
    _patched[:] = [redis]
    command = Event("redis.execute", _command, pin_source=redis, done=_rows)
    pipeline = Event("redis.execute", _client_pipeline, pin_source=redis)
    cluster_pipeline = Event("redis.execute", _cluster_pipeline, pin_source=redis)
    for module in (client, async_client):  # sync or async: wrap_method tells by the method
        publisher.wrap_method(module.Redis, "execute_command", command)
        publisher.wrap_method(module.Pipeline, "immediate_execute_command", command)
        publisher.wrap_method(module.Pipeline, "execute", pipeline)
    for module in (cluster, async_cluster):
        publisher.wrap_method(module.RedisCluster, "execute_command", command)
        publisher.wrap_method(module.ClusterPipeline, "execute", cluster_pipeline)


def unpatch(redis: ModuleType) -> None:
    publisher.unwrap_all()
    _patched.clear()
