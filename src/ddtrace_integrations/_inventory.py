"""What ``ddtrace-integrations list`` reports: for each integration's modules, whether the library is installed,
at which version, the versions the integration supports, the extra that installs it, and whether the
integration is switched on.

Nothing here imports a traced library or a publisher that would: a module is looked up (``find_spec``, which
imports its parent packages only), versions come from the installed distributions' metadata, and a publisher's
``supported_versions`` is read from its source when it is a literal (every built-in one is).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from typing import Dict
from typing import List
from typing import Mapping
from typing import Optional
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import _patching

# The extra of this package that installs each built-in module's library: pip install "ddtrace-integrations[x]".
# Names as the metadata spells them (PEP 685): "kafka-python", which pip >= 23.3 also accepts as "kafka_python".
# (channels is optional for the Django integration: no extra.)
EXTRAS: Dict[str, Optional[str]] = {
    "asyncpg": "asyncpg",
    "psycopg": "psycopg",
    "psycopg2": "psycopg2",
    "mysql.connector": "mysql",
    "mysql.connector.aio": "mysql",
    "pymysql": "pymysql",
    "MySQLdb": "mysqldb",
    "sqlite3": None,  # the standard library's
    "httpx": "httpx",
    "aiohttp": "aiohttp",
    "requests": "requests",
    "redis": "redis",
    "flask": "flask",
    "django": "django",
    "starlette": "starlette",
    "fastapi": "fastapi",
    "channels.routing": None,
    "confluent_kafka": "kafka",
    "aiokafka": "aiokafka",
    "kafka": "kafka-python",
}

ANY = "*"  # a module absent from ``supported_versions``, or mapped to "*": every version
UNKNOWN = "?"  # the publisher's supported_versions could not be read


@dataclass(frozen=True)
class Library:
    """One module an integration patches, as installed here."""

    integration: str
    module: str
    installed: bool  # the module can be imported
    distribution: Optional[str]  # the installed distribution providing it
    version: Optional[str]  # that distribution's version
    supported: str  # PEP 440 specifier the patcher checks, ANY, or UNKNOWN
    version_supported: Optional[bool]  # None: not installed, or no version or specifier to compare
    extra: Optional[str]
    enabled: bool
    disabled_by: Optional[str]  # the setting that switches the integration off

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def libraries() -> List[Library]:
    known = _patching.integrations()
    flags = _patching.enabled_flags(known)
    patch_modules = dd.patch_modules_env()
    tracing = dd.tracing_enabled()
    providers = _providers()
    rows: List[Library] = []
    for name, integration in sorted(known.items()):
        supported_versions = _supported_versions(integration)
        if not tracing:
            disabled_by: Optional[str] = "DD_TRACE_ENABLED"
        elif flags[name]:
            disabled_by = None
        elif patch_modules.get(name) is False:
            disabled_by = "DD_PATCH_MODULES"
        else:
            disabled_by = f"DD_TRACE_{dd._integration_env_var_id(name)}_ENABLED"
        builtin = _patching.BUILTIN.get(name) == integration
        for module in integration.modules:
            installed = _importable(module)
            distribution = _distribution(module, providers) if installed else None
            version = _dist_version(distribution) if distribution else None
            supported = UNKNOWN if supported_versions is None else supported_versions.get(module) or ANY
            matches = None if version is None or supported == UNKNOWN else dd.version_matches(version, supported)
            rows.append(
                Library(
                    integration=name,
                    module=module,
                    installed=installed,
                    distribution=distribution,
                    version=version,
                    supported=supported,
                    version_supported=matches,
                    extra=EXTRAS.get(module) if builtin else None,
                    enabled=disabled_by is None,
                    disabled_by=disabled_by,
                )
            )
    return rows


def table(rows: List[Library]) -> str:
    header = ("integration", "module", "library", "installed", "supported", "enabled", "extra")
    lines: List[Tuple[str, ...]] = [header]
    for row in rows:
        if not row.installed:
            installed = "no"
        else:
            installed = row.version or "yes"
            if row.version_supported is False:
                installed += " (unsupported)"
        supported = "any" if row.supported == ANY else "unknown" if row.supported == UNKNOWN else row.supported
        enabled = "yes" if row.enabled else f"no ({row.disabled_by})"
        library = row.distribution or "-"
        lines.append((row.integration, row.module, library, installed, supported, enabled, row.extra or "-"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() + "\n" for line in lines)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except Exception:  # a parent package missing (ModuleNotFoundError) or failing to import
        return False


def _distribution(module: str, providers: Mapping[str, List[str]]) -> Optional[str]:
    names = providers.get(module.partition(".")[0])
    return names[0] if names else None


def _dist_version(distribution: str) -> Optional[str]:
    try:
        return importlib.metadata.version(distribution)
    except Exception:
        return None


def _providers() -> Mapping[str, List[str]]:
    """Top-level module name -> the installed distributions providing it."""
    if sys.version_info >= (3, 10):
        return importlib.metadata.packages_distributions()
    return _providers_py39()


def _providers_py39() -> Mapping[str, List[str]]:
    """``packages_distributions()``, which Python 3.9 lacks: a distribution's ``top_level.txt``, or else the
    top-level names of the files it installed."""
    found: Dict[str, List[str]] = defaultdict(list)
    for dist in importlib.metadata.distributions():
        tops = (dist.read_text("top_level.txt") or "").split()
        if not tops:
            tops = [f.parts[0].partition(".")[0] for f in dist.files or () if f.parts and f.suffix in (".py", ".so")]
            tops += [f.parts[0] for f in dist.files or () if len(f.parts) > 1]
        for top in dict.fromkeys(tops):
            found[top].append(dist.metadata["Name"])
    return found


def _supported_versions(integration: _patching.Integration) -> Optional[Dict[str, str]]:
    """The publisher's ``supported_versions``, read from its source if it is a literal, else by importing it
    (which imports its library): None if neither works."""
    try:
        with _patching.loading_publisher():
            spec = importlib.util.find_spec(integration.publisher)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            with open(spec.origin, encoding="utf-8") as source:
                tree = ast.parse(source.read(), spec.origin)
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    targets, value = [node.target], node.value
                else:
                    continue
                if any(isinstance(target, ast.Name) and target.id == "supported_versions" for target in targets):
                    return dict(ast.literal_eval(value))
    except Exception:
        pass  # not a literal: ask the module itself
    try:
        return dict(_patching._publisher(integration).supported_versions)
    except Exception:
        return None
