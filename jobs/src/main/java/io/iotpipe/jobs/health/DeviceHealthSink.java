package io.iotpipe.jobs.health;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count_if;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.datastax.spark.connector.cql.CassandraConnector;
import io.iotpipe.delta.DeltaAppend;
import io.iotpipe.health.HealthOutput;
import io.iotpipe.health.HealthStore;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.kafka.TransactionalPublisher;
import io.iotpipe.spark.MicroBatch;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Writes one micro-batch of transitions and alarms to Delta {@code health_events} (idempotent
 * append), the Cassandra status, transition and alarm tables (keyed by event time: a replay
 * rewrites the same rows) and the Kafka topic (from the executors, one transaction per partition
 * and batch: {@link TransactionalPublisher#publishPartitions}). Nothing is collected to the driver.
 */
final class DeviceHealthSink implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a batch did (its duplicates are observed before it: {@link DeviceHealthJob#pipeline}). */
  record Counts(long transitions, long alarmsRaised, long alarmsCleared, long late) {}

  interface Listener extends java.io.Serializable {
    void batch(long batchId, Counts counts);
  }

  /** A step between the Cassandra writes and the Kafka transaction, replaceable in tests to inject a crash. */
  @FunctionalInterface
  interface Step extends java.io.Serializable {
    void run(long batchId) throws Exception;
  }

  static final Step NO_STEP = batchId -> {};

  private final String historyPath;
  private final CassandraConnector cassandra;
  private final String keyspace;
  private final int ttlSeconds;
  private final KafkaOptions kafka;
  private final String topic;
  private final Listener listener;
  private final Step beforeKafka;

  DeviceHealthSink(String historyPath, CassandraConnector cassandra, String keyspace, int ttlSeconds, KafkaOptions kafka,
      String topic, Listener listener, Step beforeKafka) {
    this.historyPath = historyPath;
    this.cassandra = cassandra;
    this.keyspace = keyspace;
    this.ttlSeconds = ttlSeconds;
    this.kafka = kafka;
    this.topic = topic;
    this.listener = listener;
    this.beforeKafka = beforeKafka;
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) throws Exception {
    try (MicroBatch b = MicroBatch.cache(batch)) {
      String queryId = MicroBatch.queryId(batch.sparkSession());
      Row c = b.counts(count_if(col("kind").equalTo(HealthOutput.TRANSITION)),
          count_if(col("alarm_state").equalTo(HealthOutput.RAISED)),
          count_if(col("alarm_state").equalTo(HealthOutput.CLEARED)),
          count_if(col("kind").equalTo(HealthOutput.LATE)));
      if (c.getLong(0) + c.getLong(1) + c.getLong(2) > 0) {
        Dataset<Row> history = HealthStore.history(b.rows()).cache();
        DeltaAppend.once(history, historyPath, b.appId("device-health"), batchId);
        HealthStore.writeServing(history, cassandra, keyspace, ttlSeconds);
        beforeKafka.run(batchId);
        // From the executors, partition by partition of the state's output: a device's records stay in order.
        String topic = this.topic;
        TransactionalPublisher.publishPartitions(history, kafka, topic, "iotpipe-device-health-" + queryId, batchId,
            r -> record(topic, r));
        history.unpersist();
      }
      listener.batch(batchId, new Counts(c.getLong(0), c.getLong(1), c.getLong(2), c.getLong(3)));
    }
  }

  /** A history row as its Kafka record: keyed by tenant/device, the row's fields as JSON. */
  static ProducerRecord<String, String> record(String topic, Row r) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String f : r.schema().fieldNames()) {
      Object v = r.getAs(f);
      if (v != null && !f.equals("event_date")) {
        m.put(f, v instanceof java.sql.Timestamp t ? t.toInstant().toString() : v);
      }
    }
    return new ProducerRecord<>(topic, r.getAs("tenant_id") + "/" + r.getAs("device_id"), JSON.writeValueAsString(m));
  }
}
