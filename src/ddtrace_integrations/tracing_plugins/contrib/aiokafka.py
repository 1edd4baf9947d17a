"""aiokafka: the Kafka plugin pair, under ddtrace's ``aiokafka`` settings."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.contrib.kafka import KafkaCommitPlugin
from ddtrace_integrations.tracing_plugins.contrib.kafka import KafkaConsumePlugin
from ddtrace_integrations.tracing_plugins.contrib.kafka import KafkaProducePlugin
from ddtrace_integrations.tracing_plugins.contrib.kafka import kafka_settings


class AiokafkaProducePlugin(KafkaProducePlugin):
    package = "aiokafka"
    config_defaults = kafka_settings()
    service_at_start = True


class AiokafkaConsumePlugin(KafkaConsumePlugin):
    package = "aiokafka"
    config_defaults = kafka_settings()
    service_at_start = True
    direction = dd.SpanDirection.INBOUND  # ddtrace's aiokafka consumer is ``kafka.receive`` under v1
    own_trace = True  # as ddtrace's: a root span unless it continues a producer's trace

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        # ddtrace's getone starts its span after the call, once it returned or raised an Exception: a getone
        # cancelled (a task cancelled, a wait_for timeout) has no span. getmany's span covers the call.
        error = exc_info[1] if exc_info else None
        if error is not None and not isinstance(error, Exception) and not ctx.get_item("messaging_context").batch:
            return
        super().on_finish(ctx, exc_info)


class AiokafkaCommitPlugin(KafkaCommitPlugin):
    package = "aiokafka"
    config_defaults = kafka_settings()
