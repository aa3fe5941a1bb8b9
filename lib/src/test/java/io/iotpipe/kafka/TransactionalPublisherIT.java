package io.iotpipe.kafka;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.config.Settings;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Publishing a micro-batch from the executors, partition by partition, on the real local Kafka. */
@ExtendWith(LocalServicesExtension.class)
class TransactionalPublisherIT {
  /** Fails the first record of key "k7" once: a task that dies after its partition's transaction began. */
  private static final AtomicBoolean FAIL_ONCE = new AtomicBoolean();

  @Test
  void eachPartitionOfABatchIsPublishedOnceAcrossAFailedAttemptAndAReplay() throws Exception {
    String topic = LocalServicesExtension.uniqueTopic("publisher");
    KafkaOptions kafka = KafkaOptions.from(Settings.of(Map.of(
        "kafka.bootstrap-servers", LocalServicesExtension.services().kafkaBootstrapServers(), "kafka.events-topic", topic)));
    KafkaRecordSink.createTopicIfMissing(kafka, topic, 1);
    String name = "it-publisher-" + topic;
    // 20 keys in 2 partitions, as a stateful operator's output is: by key.
    Dataset<Row> batch = TestSpark.session()
        .createDataset(IntStream.range(0, 20).mapToObj(i -> "k" + i).toList(), Encoders.STRING()).toDF("key")
        .repartition(2, col("key")).cache();
    assertEquals(2, batch.rdd().getNumPartitions());
    TransactionalPublisher.RecordOf recordOf = r -> {
      String key = r.getString(0);
      if (key.equals("k7") && FAIL_ONCE.compareAndSet(false, true)) {
        throw new IllegalStateException("injected failure in the partition of k7");
      }
      return new ProducerRecord<>(topic, key, "batch-" + key);
    };

    FAIL_ONCE.set(false);
    Exception failed = assertThrows(Exception.class,
        () -> TransactionalPublisher.publishPartitions(batch, kafka, topic, name, 0, recordOf));
    assertTrue(FAIL_ONCE.get(), () -> "the injected failure, not: " + stackTrace(failed));
    // The batch again, as a restarted query replays it, and once more: each key once.
    TransactionalPublisher.publishPartitions(batch, kafka, topic, name, 0, recordOf);
    TransactionalPublisher.publishPartitions(batch, kafka, topic, name, 0, recordOf);
    List<String> committed = committedKeys(kafka, topic);
    assertEquals(20, committed.size(), "each record of batch 0 once: " + committed);
    assertEquals(20, committed.stream().distinct().count());

    // The next batch adds its records; replaying an earlier one adds nothing.
    TransactionalPublisher.publishPartitions(batch, kafka, topic, name, 1, recordOf);
    TransactionalPublisher.publishPartitions(batch, kafka, topic, name, 0, recordOf);
    assertEquals(40, committedKeys(kafka, topic).size());
    batch.unpersist();
  }

  private static String stackTrace(Throwable t) {
    java.io.StringWriter w = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }

  private static List<String> committedKeys(KafkaOptions kafka, String topic) {
    Map<String, Object> p = new HashMap<>(kafka.clientProperties());
    p.put("isolation.level", "read_committed");
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      List<String> keys = new ArrayList<>();
      while (c.position(tp) < end) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofSeconds(1))) {
          keys.add(r.key());
        }
      }
      return keys;
    }
  }
}
