package io.iotpipe.sim;

import io.iotpipe.kafka.KafkaOptions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends simulated records to a Kafka topic with an idempotent producer, so that a producer retry
 * never adds a duplicate the simulator did not plan. The record timestamp is the simulated
 * arrival time.
 */
public final class KafkaRecordSink implements RecordSink {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  public KafkaRecordSink(KafkaOptions kafka, String topic, int partitions) {
    this.topic = topic;
    createTopicIfMissing(kafka, topic, partitions);
    Map<String, Object> p = new HashMap<>(kafka.clientProperties());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Creates the topic unless it exists, and returns once every partition's leader serves
   * requests. Producing into a topic a few milliseconds old gets NOT_LEADER_OR_FOLLOWER, and the
   * idempotent producer of kafka-clients 3.4 sometimes retries that into an endless
   * OutOfOrderSequenceException against a Kafka 4 broker.
   */
  public static void createTopicIfMissing(KafkaOptions kafka, String topic, int partitions) {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      if (!admin.listTopics().names().get().contains(topic)) {
        try {
          admin.createTopics(Set.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e);
          }
        }
      }
      awaitLeaders(admin, topic);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until the leader of every partition answers a ListOffsets request (which only a ready
   * leader does). Right after creating a topic, even describing it can fail with
   * UnknownTopicOrPartition until the broker's metadata has caught up, so both are retried.
   */
  private static void awaitLeaders(Admin admin, String topic) throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      try {
        int n = admin.describeTopics(Set.of(topic)).allTopicNames().get().get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < n; p++) {
          request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        admin.listOffsets(request).all().get();
        return;
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  @Override
  public void send(SimRecord r, Delivered delivered) {
    Exception earlier = failure.get();
    if (earlier != null) {
      throw new IllegalStateException("sending to Kafka failed: " + earlier.getMessage(), earlier);
    }
    producer.send(new ProducerRecord<>(topic, null, r.arrival().toEpochMilli(),
            r.key().getBytes(java.nio.charset.StandardCharsets.UTF_8), r.value()),
        (meta, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          } else {
            delivered.at(meta.partition(), meta.offset());
          }
        });
  }

  @Override
  public void flush() {
    producer.flush();
    Exception e = failure.get();
    if (e != null) {
      throw new IllegalStateException("sending to Kafka failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
