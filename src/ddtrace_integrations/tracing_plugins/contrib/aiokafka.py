"""aiokafka: the Kafka plugin pair, under ddtrace's ``aiokafka`` settings."""

from ddtrace_integrations import _ddtrace as dd
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


class AiokafkaCommitPlugin(KafkaCommitPlugin):
    package = "aiokafka"
    config_defaults = kafka_settings()
