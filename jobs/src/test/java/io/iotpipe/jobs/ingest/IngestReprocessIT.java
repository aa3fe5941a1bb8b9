package io.iotpipe.jobs.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.tables.DeltaTable;
import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.event.EventFields;
import io.iotpipe.jobs.SimulatedTopic;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Reprocessing from Kafka after a bug: a new checkpoint started at a timestamp reads the records
 * from that time on again and restores what was lost, without storing anything twice.
 */
@ExtendWith(LocalServicesExtension.class)
class IngestReprocessIT {

  @Test
  void aNewCheckpointFromATimestampRestoresLostRowsAndDoublesNone() throws Exception {
    SimulatedTopic topic = SimulatedTopic.create("ingest-reprocess", Map.of());
    SparkSession spark = TestSpark.session();
    String root = TestSpark.newFolder("delta").toString();
    IngestJob.startFromOptions(spark, IngestIT.options(topic, root, Map.of())).query().awaitTermination();
    IngestAssertions.assertExactlyOnce(root, topic);

    // A bug lost every row of the records that arrived from the middle of the topic on.
    List<Long> arrivals = topic.sent.values().stream().map(n -> n.get("timestamp").asLong()).sorted().toList();
    Instant from = Instant.ofEpochMilli(arrivals.get(arrivals.size() / 2));
    long fromOn = arrivals.stream().filter(t -> t >= from.toEpochMilli()).count();
    String events = TableSpec.EVENTS.path(root);
    String quarantine = TableSpec.QUARANTINE.path(root);
    long before = spark.read().format("delta").load(events).count();
    for (String table : List.of(events, quarantine)) {
      DeltaTable.forPath(spark, table).delete(col(EventFields.KAFKA_TIMESTAMP).geq(lit(Timestamp.from(from))));
    }
    long lost = before - spark.read().format("delta").load(events).count();
    assertTrue(lost > 100, "the half of the events lost: " + lost);

    // A new checkpoint on tables that hold rows must say whether it reprocesses.
    Map<String, String> reprocess = new HashMap<>(Map.of(
        "ingest.checkpoint", root + "-reprocess-1", "ingest.starting-offsets", "timestamp:" + from));
    long version = version(spark, events);
    InvalidOptionException refused = assertThrows(InvalidOptionException.class,
        () -> IngestJob.startFromOptions(spark, IngestIT.options(topic, root, reprocess)));
    assertEquals("ingest.write-mode", refused.key());
    assertEquals(version, version(spark, events), "nothing written");

    reprocess.put("ingest.write-mode", "insert-missing");
    IngestJob.Running fromTime = IngestJob.startFromOptions(spark, IngestIT.options(topic, root, reprocess));
    fromTime.query().awaitTermination();
    assertEquals(fromOn, fromTime.totals().consumed(), "read from the first record at or after " + from);
    IngestAssertions.assertExactlyOnce(root, topic);

    // Reading the whole topic once more changes nothing.
    IngestJob.Running everything = IngestJob.startFromOptions(spark, IngestIT.options(topic, root, Map.of(
        "ingest.checkpoint", root + "-reprocess-2", "ingest.write-mode", "insert-missing")));
    everything.query().awaitTermination();
    assertEquals(arrivals.size(), everything.totals().consumed());
    IngestAssertions.assertExactlyOnce(root, topic);
  }

  private static long version(SparkSession spark, String path) {
    return DeltaTable.forPath(spark, path).history(1).first().getLong(0);
  }
}
