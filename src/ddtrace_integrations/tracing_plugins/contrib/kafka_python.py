"""kafka-python (which ddtrace does not trace): the Kafka plugin pair, under its own settings."""

from ddtrace_integrations.tracing_plugins.contrib.kafka import KafkaCommitPlugin
from ddtrace_integrations.tracing_plugins.contrib.kafka import KafkaConsumePlugin
from ddtrace_integrations.tracing_plugins.contrib.kafka import KafkaProducePlugin


class KafkaPythonProducePlugin(KafkaProducePlugin):
    package = "kafka_python"


class KafkaPythonConsumePlugin(KafkaConsumePlugin):
    package = "kafka_python"


class KafkaPythonCommitPlugin(KafkaCommitPlugin):
    package = "kafka_python"
