"""``ddtrace-integrations new <library> --kind ...``: the files of a new integration, for the right base class.

It writes the publisher (``auto/<name>/patch.py``), the plugin (``tracing_plugins/contrib/<name>.py``), a test
module, a parity test and its workload (``tests/contrib/<name>/``), from the templates in ``templates/``. The code
imports only ``ddtrace_integrations.api``; it passes ruff and mypy as written, and its tests skip, saying so, until
they are filled in.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

TEMPLATES = Path(__file__).with_name("templates")
MAX_NAME = 32  # the generated lines fit ruff's 120 columns for any name up to this length


@dataclass(frozen=True)
class Kind:
    base: str  # the plugin base class, for the messages
    operations: Tuple[Tuple[str, ...], ...]  # per event: the operation names to try, the natural one first
    span_name: str  # the span the generated test expects ({name}: the integration)
    resource: Optional[str]  # ... and its resource
    meta: Tuple[str, ...]  # ... and tags, "name=value" ({name}: the integration)
    call: str  # one traced call ({lib}: the library module)
    failing_call: str  # one call the library fails
    test_fixtures: str = ""
    workload_setup: str = ""
    workload_stdlib: Tuple[str, ...] = ()  # modules the workload imports besides the library and ``steps``
    workload_modules: Tuple[str, ...] = ()
    parity_imports: str = ""
    parity_env: str = "VARIANTS[variant]"


_CLIENT_TAGS = ("component={name}", "db.system={name}", "span.kind=client")

KINDS: Dict[str, Kind] = {
    "database": Kind(
        "DatabasePlugin",
        (("execute", "query", "execute_call"),),
        "{name}.query",
        "SELECT 1",
        _CLIENT_TAGS,
        '{lib}.Connection().execute("SELECT 1")',
        '{lib}.Connection().execute("SELEC broken")',
    ),
    "storage": Kind(
        "StoragePlugin",
        (("command", "execute", "command_call"),),
        "{name}.command",
        "GET",
        _CLIENT_TAGS,
        '{lib}.Client().execute_command("GET", "key")',
        '{lib}.Client().execute_command("NO-SUCH-COMMAND")',
    ),
    "http-client": Kind(
        "HTTPClientPlugin",
        (("request", "send", "request_call"),),
        "http.request",
        None,
        ("component={name}", "span.kind=client", "http.method=GET", "http.status_code=200"),
        '{lib}.Client().request("GET", base + "/")',
        '{lib}.Client().request("GET", "http://127.0.0.1:1/")',
        test_fixtures=", base: str",
        workload_setup='\n    base = http_server.serve(int(os.environ["DDI_HTTP_PORT"]))[1]\n',
        workload_stdlib=("os",),
        workload_modules=("http_server",),
        parity_imports="from http_server import free_port\n",
        parity_env='{**VARIANTS[variant], "DDI_HTTP_PORT": str(free_port())}',
    ),
    "web": Kind(
        "RouterPlugin",
        (("request", "handle", "request_call"),),
        "{name}.request",
        "GET /users/<id>",
        ("component={name}", "span.kind=server", "http.status_code=200"),
        '{lib}.App().handle({lib}.Request("GET", "/users/1"))',
        '{lib}.App().handle({lib}.Request("GET", "/crash"))',
    ),
    "messaging": Kind(
        "ProducerPlugin and ConsumerPlugin",
        (("produce", "send", "produce_call"), ("consume", "receive", "consume_call")),
        "{name}.produce",
        "orders",
        ("component={name}", "span.kind=producer"),
        '{lib}.Client().send("orders", b"order 1")',
        '{lib}.Client().send("", b"no topic")',
    ),
}


class ScaffoldError(Exception):
    """The integration cannot be generated as asked (a bad name, files already there)."""


def integration_name(library: str) -> str:
    """The integration's name (``ddtrace.config.<name>``, ``DD_TRACE_<NAME>_ENABLED``) for a library module."""
    name = re.sub(r"\W", "_", library.lower())
    if not name.isidentifier() or keyword.iskeyword(name) or len(name) > MAX_NAME:
        raise ScaffoldError(
            f"{library!r} does not make an integration name (a Python identifier of at most {MAX_NAME} characters)"
        )
    return name


def operations(name: str, kind: Kind, taken: Optional[Sequence[str]] = None) -> List[str]:
    """Per event, the first operation whose event name nothing else listens to (ddtrace's own handlers hear some
    natural names, e.g. ``redis.command``: the registry would refuse them)."""
    listened: Callable[[str], bool]
    if taken is None:
        from ddtrace_integrations import _ddtrace

        listened = _ddtrace.listened_context
    else:
        listened = set(taken).__contains__
    chosen = []
    for candidates in kind.operations:
        free = [op for op in candidates if not listened(f"{name}.{op}")]
        if not free:
            raise ScaffoldError(f"every event name tried for {name} is taken: {candidates}")
        chosen.append(free[0])
    return chosen


def files(library: str, kind_name: str, taken: Optional[Sequence[str]] = None) -> Dict[str, str]:
    """Relative path -> text of every file of the new integration."""
    if kind_name not in KINDS:
        raise ScaffoldError(f"unknown kind {kind_name!r}: one of {', '.join(KINDS)}")
    kind = KINDS[kind_name]
    name = integration_name(library)
    ops = operations(name, kind, taken)  # one per event: a messaging integration has two
    test_path = f"tests/contrib/{name}/test_{name}.py"
    values = {
        "library": library,
        "module": library,
        "name": name,
        "kind": kind_name,
        "camel": "".join(part.capitalize() for part in name.split("_")),
        "upper": name.upper(),
        "operation": ops[0],
        "operation2": ops[-1],
        "event": f"{name}.{ops[0]}",
        "event2": f"{name}.{ops[-1]}",
        "span_name": kind.span_name.format(name=name),
        "expected": _expected(kind, name),
        "fixtures": kind.test_fixtures,
        "parity_imports": kind.parity_imports,
        "parity_env": kind.parity_env,
        "workload_setup": kind.workload_setup,
    }
    test_values = dict(values, call=kind.call.format(lib="library"))
    test_values["failing_call"] = kind.failing_call.format(lib="library")
    stdlib = "".join(f"import {module}\n" for module in kind.workload_stdlib)
    others = "".join(f"import {module}\n" for module in sorted({*kind.workload_modules, library, "steps"}))
    workload_values = dict(
        values,
        call=kind.call.format(lib=library),
        failing_call=kind.failing_call.format(lib=library),
        workload_imports=(stdlib + "\n" + others if stdlib else others).rstrip("\n"),
    )
    out = {
        f"src/ddtrace_integrations/auto/{name}/__init__.py": "",
        f"src/ddtrace_integrations/auto/{name}/patch.py": _render(f"{kind_name}_publisher.py", values),
        f"src/ddtrace_integrations/tracing_plugins/contrib/{name}.py": _render(f"{kind_name}_plugin.py", values),
        test_path: _render("test.py", test_values),
        f"tests/contrib/{name}/test_parity.py": _render("test_parity.py", values),
        f"tests/contrib/{name}/workload.py": _render("workload.py", workload_values),
    }
    return out


def _expected(kind: Kind, name: str) -> str:
    """assert_span's keyword arguments, one a line (trailing commas keep ruff's layout whatever the name)."""
    lines = [f"        resource={kind.resource!r},".replace("'", '"')] if kind.resource else []
    lines.append("        meta={")
    for tag in kind.meta:
        key, value = tag.format(name=name).split("=", 1)
        lines.append(f'            "{key}": "{value}",')
    lines.append("        },")
    return "\n".join(lines)


def _render(template: str, values: Dict[str, str]) -> str:
    return Template((TEMPLATES / f"{template}.tmpl").read_text()).substitute(values)


def next_steps(library: str, kind_name: str, written: Sequence[str]) -> str:
    name = integration_name(library)
    kind = KINDS[kind_name]
    lines = [f"Wrote the {name} integration ({kind.base}):", *(f"  {path}" for path in written)]
    for candidates, chosen in zip(kind.operations, operations(name, kind)):
        lines.append(f"Event: {name}.{chosen}")
        if chosen != candidates[0]:
            taken = f"{name}.{candidates[0]}"
            lines.append(f"  ({taken} is listened to by ddtrace's own handlers: the registry refuses it)")
    lines.append("Next:")
    lines += [
        "  1. fill in the TODOs: the library's calls in patch.py, the plugin's declarations, the tests and workload;",
        f'  2. register it: _builtin("{name}", ("{library}",), <ddtrace\'s integration or None>) in',
        f"     _patching.BUILTIN, an extra `{name}` in pyproject.toml, the module in _inventory.EXTRAS, a row in",
        "     README.md's table;",
        "  3. if the library needs a server, add it to scripts/services;",
        "  4. compare with ddtrace (the workload imports tests/contrib/steps.py):",
        f"     PYTHONPATH=tests/contrib ddtrace-integrations compare -- python tests/contrib/{name}/workload.py",
        "See docs/writing-an-integration.md.",
    ]
    return "\n".join(lines) + "\n"


def write(library: str, kind_name: str, root: Path) -> List[str]:
    """Write the files under ``root`` (a checkout of this repository); never overwrites a file."""
    generated = files(library, kind_name)
    existing = [path for path in generated if (root / path).exists()]
    if existing:
        raise ScaffoldError("these files exist already, nothing written: " + ", ".join(existing))
    for path, text in generated.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return list(generated)
