"""Plugins for the fake library: one per base class, declarations only."""

from ddtrace_integrations.tracing_plugins.base.consumer import ConsumerPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabasePlugin
from ddtrace_integrations.tracing_plugins.base.internal import InternalPlugin
from ddtrace_integrations.tracing_plugins.base.producer import ProducerPlugin
from ddtrace_integrations.tracing_plugins.base.router import RouterPlugin


class FakeQueryPlugin(DatabasePlugin):
    package = "fakelib"
    operation = "execute"
    system = "fakedb"
    query_name = "fakedb.query"
    config_defaults = {"_default_service": "fakedb"}


class FakeRowsPlugin(FakeQueryPlugin):
    operation = "rows"


class FakeSendPlugin(ProducerPlugin):
    package = "fakelib"
    operation = "send"
    peer_service_precursors = ("messaging.fakemq.brokers",)


class FakeReceivePlugin(ConsumerPlugin):
    package = "fakelib"
    operation = "receive"


class FakeRequestPlugin(RouterPlugin):
    package = "fakelib"
    operation = "request"


class FakeInternalPlugin(InternalPlugin):
    package = "fakelib"
