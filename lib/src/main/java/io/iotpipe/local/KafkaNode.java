package io.iotpipe.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A single-node Kafka broker in KRaft combined mode (broker and controller in one JVM). */
final class KafkaNode extends JvmService {
  private static final String PROBE_TOPIC = "_iotpipe_probe";

  private final int port;
  private final int controllerPort;

  KafkaNode(Path dir, int port, int controllerPort) {
    super("kafka", dir);
    this.port = port;
    this.controllerPort = controllerPort;
  }

  String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  @Override
  List<Integer> ports() {
    return List.of(port, controllerPort);
  }

  @Override
  String pomResource() {
    return "kafka-server.pom.xml";
  }

  @Override
  String endpoint() {
    return bootstrapServers();
  }

  @Override
  void configure(String classpath) throws IOException {
    Path props = dir.resolve("server.properties");
    Files.writeString(props, String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dataDir(),
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        // Topics are created on purpose, with their partition count; a typo must not create one.
        "auto.create.topics.enable=false",
        "num.partitions=4",
        ""), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("log4j2.properties"), String.join("\n",
        "rootLogger.level=INFO",
        "rootLogger.appenderRef.file.ref=file",
        "appender.file.type=File",
        "appender.file.name=file",
        "appender.file.fileName=" + logDir().resolve("server.log"),
        "appender.file.layout.type=PatternLayout",
        "appender.file.layout.pattern=[%d] %p %m (%c)%n",
        "logger.kafka.name=kafka",
        "logger.kafka.level=INFO",
        "logger.state.name=state.change.logger",
        "logger.state.level=WARN",
        ""), StandardCharsets.UTF_8);
    if (!Files.exists(dataDir().resolve("meta.properties"))) {
      format(classpath, props);
    }
  }

  /** KRaft storage must be formatted once with a cluster id before the first start. */
  private void format(String classpath, Path props) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-cp", classpath,
        "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"),
        "kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(), "-c", props.toString())
        .redirectErrorStream(true)
        .redirectOutput(logDir().resolve("format.log").toFile())
        .start();
    try {
      if (p.waitFor() != 0) {
        throw new IllegalStateException("formatting the Kafka storage failed:\n" + tail(logDir().resolve("format.log"), 20));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  @Override
  List<String> command() {
    return List.of("-Xms512m", "-Xmx1g", "-XX:+UseG1GC",
        "-Diotpipe.service=kafka",
        "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"),
        "-Dkafka.logs.dir=" + logDir(),
        "kafka.Kafka", dir.resolve("server.properties").toString());
  }

  /** A produce/consume round trip: the broker accepts a record and serves it back. */
  @Override
  void probe() throws Exception {
    Map<String, Object> common = Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8000);
    try (Admin admin = Admin.create(common)) {
      admin.createTopics(Set.of(new NewTopic(PROBE_TOPIC, 1, (short) 1))).all().get();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
    String token = UUID.randomUUID().toString();
    Properties pp = new Properties();
    pp.putAll(common);
    pp.remove(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
    pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 8000);
    pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8000);
    RecordMetadata sent;
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      sent = producer.send(new ProducerRecord<>(PROBE_TOPIC, token)).get();
    }
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    cp.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(PROBE_TOPIC, sent.partition());
      consumer.assign(List.of(tp));
      consumer.seek(tp, sent.offset());
      long deadline = System.nanoTime() + Duration.ofSeconds(8).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          if (token.equals(r.value())) {
            return;
          }
        }
      }
    }
    throw new IllegalStateException("the probe record was not consumed back");
  }
}
