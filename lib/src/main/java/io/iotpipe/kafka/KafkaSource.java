package io.iotpipe.kafka;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.StreamingQuery;
import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.spark.StreamOptions;

/** Reads the events topic as a stream with the Kafka source's columns (key, value, topic, partition, offset, timestamp, ...). */
public final class KafkaSource {
  static final int MAX_POLL_RECORDS = 20_000;
  static final int MAX_PARTITION_FETCH_BYTES = 16 * 1024 * 1024;

  private KafkaSource() {}

  /**
   * The events topic as a stream. {@code stream.startingOffsets()} (offsets or a timestamp) applies to a new checkpoint
   * (a restart always continues from its checkpoint); {@code stream.maxOffsetsPerTrigger()}
   * bounds a micro-batch, and with it its memory, while catching up on a backlog.
   */
  public static Dataset<Row> stream(SparkSession spark, KafkaOptions kafka, StreamOptions stream) {
    DataStreamReader r = spark.readStream()
        .format("kafka")
        .options(kafka.sparkOptions())
        .option("subscribe", kafka.eventsTopic())
        // Offsets that expired before they were read are data loss: stop and say so.
        .option("failOnDataLoss", "true")
        // Spark's task consumer polls once per fetch: with the client's defaults (500 records,
        // 1 MB per partition) a task makes a round trip to the broker every 500 records and reads
        // Kafka several times slower than a plain consumer (scripts/bench measures both).
        .option("kafka.max.poll.records", String.valueOf(MAX_POLL_RECORDS))
        .option("kafka.max.partition.fetch.bytes", String.valueOf(MAX_PARTITION_FETCH_BYTES))
        .option("kafka.fetch.max.bytes", String.valueOf(4 * MAX_PARTITION_FETCH_BYTES));
    if (stream.startingTimestamp().isPresent()) {
      // Partitions without a record at or after the time start at their end instead of failing.
      r.option("startingTimestamp", stream.startingTimestamp().get().toEpochMilli())
          .option("startingOffsetsByTimestampStrategy", "latest");
    } else {
      r.option("startingOffsets", stream.startingOffsets());
    }
    stream.maxOffsetsPerTrigger().ifPresent(n -> r.option("maxOffsetsPerTrigger", n));
    return r.load();
  }

  /**
   * Waits until {@code query} has processed everything in the events topic at the time of the
   * call. Unlike {@code StreamingQuery.processAllAvailable()}, which never returns for a query
   * whose state has processing-time timeouts (Spark then runs a micro-batch at every trigger, so
   * the query never reports that it has no new data), this compares the offsets the query has
   * committed with the topic's end offsets.
   */
  public static void awaitConsumed(StreamingQuery query, KafkaOptions kafka, java.time.Duration timeout)
      throws InterruptedException, TimeoutException {
    Map<Integer, Long> target = new java.util.HashMap<>();
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      int partitions = admin.describeTopics(Set.of(kafka.eventsTopic())).allTopicNames().get()
          .get(kafka.eventsTopic()).partitions().size();
      Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> request = new java.util.HashMap<>();
      for (int p = 0; p < partitions; p++) {
        request.put(new org.apache.kafka.common.TopicPartition(kafka.eventsTopic(), p),
            org.apache.kafka.clients.admin.OffsetSpec.latest());
      }
      admin.listOffsets(request).all().get().forEach((tp, info) -> target.put(tp.partition(), info.offset()));
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read the end offsets of " + kafka.eventsTopic(), e.getCause());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (query.exception().isDefined()) {
        throw new IllegalStateException("query " + query.name() + " failed", query.exception().get());
      }
      if (consumed(query, kafka.eventsTopic(), target)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new TimeoutException("query " + query.name() + " did not consume " + kafka.eventsTopic() + " up to "
        + target + " within " + timeout);
  }

  private static boolean consumed(StreamingQuery query, String topic, Map<Integer, Long> target) {
    org.apache.spark.sql.streaming.StreamingQueryProgress p = query.lastProgress();
    if (p == null || p.sources().length == 0 || p.sources()[0].endOffset() == null) {
      return target.values().stream().allMatch(v -> v == 0);
    }
    try {
      com.fasterxml.jackson.databind.JsonNode offsets =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(p.sources()[0].endOffset()).get(topic);
      for (Map.Entry<Integer, Long> t : target.entrySet()) {
        com.fasterxml.jackson.databind.JsonNode o = offsets == null ? null : offsets.get(String.valueOf(t.getKey()));
        if ((o == null ? 0 : o.asLong()) < t.getValue()) {
          return false;
        }
      }
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /**
   * Fails with a message naming the option when the events topic does not exist or the brokers
   * cannot be reached: better at start-up than a query that waits for a topic forever.
   */
  public static void requireTopic(KafkaOptions kafka) {
    java.util.Map<String, Object> props = new java.util.HashMap<>(kafka.clientProperties());
    props.put("request.timeout.ms", 10_000);
    props.put("default.api.timeout.ms", 15_000);
    try (Admin admin = Admin.create(props)) {
      Set<String> topics = admin.listTopics().names().get(20, TimeUnit.SECONDS);
      if (!topics.contains(kafka.eventsTopic())) {
        throw new InvalidOptionException(KafkaOptions.EVENTS_TOPIC.name(), "topic '" + kafka.eventsTopic()
            + "' does not exist on " + kafka.bootstrapServers());
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new InvalidOptionException(KafkaOptions.BOOTSTRAP_SERVERS.name(), "cannot reach Kafka at "
          + kafka.bootstrapServers() + " (" + (e.getCause() == null ? e : e.getCause()).getClass().getSimpleName() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
