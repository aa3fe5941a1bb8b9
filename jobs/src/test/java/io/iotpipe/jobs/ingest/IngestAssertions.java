package io.iotpipe.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.delta.TableSpec;
import io.iotpipe.jobs.SimulatedTopic;
import io.iotpipe.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import scala.collection.JavaConverters;

/** Checks the ingest tables against what the simulator sent: every record accounted for exactly once. */
public final class IngestAssertions {
  private IngestAssertions() {}

  public static void assertExactlyOnce(String deltaRoot, SimulatedTopic t) {
    List<Row> events = TestSpark.session().read().format("delta").load(TableSpec.EVENTS.path(deltaRoot))
        .select("tenant_id", "device_id", "event_id", "event_time", "metrics", "kafka_partition", "kafka_offset")
        .collectAsList();
    Set<String> actual = new HashSet<>();
    Set<String> offsets = new HashSet<>();
    for (Row r : events) {
      Map<String, Double> metrics = JavaConverters.mapAsJavaMap(r.<scala.collection.Map<String, Double>>getAs("metrics"));
      actual.add(SimulatedTopic.eventRow(r.getString(0), r.getString(1), r.getString(2),
          r.<Timestamp>getAs("event_time").toInstant().toEpochMilli(), metrics));
      offsets.add(r.getInt(5) + "/" + r.getLong(6));
    }
    assertEquals(events.size(), actual.size(), "an event is in the events table twice");
    Set<String> expected = t.expectedEvents();
    assertEquals(t.summary.validEvents(), expected.size());
    Set<String> missing = new HashSet<>(expected);
    missing.removeAll(actual);
    Set<String> extra = new HashSet<>(actual);
    extra.removeAll(expected);
    assertTrue(missing.isEmpty() && extra.isEmpty(),
        "events differ from what was sent: missing " + missing.size() + " " + sample(missing)
            + ", unexpected " + extra.size() + " " + sample(extra));
    for (String dup : t.duplicateOffsets()) {
      assertTrue(!offsets.contains(dup), "the retry copy at " + dup + " was stored instead of the first copy");
    }

    List<Row> quarantined = TestSpark.session().read().format("delta").load(TableSpec.QUARANTINE.path(deltaRoot))
        .select("kafka_partition", "kafka_offset", "reason", "raw_value").collectAsList();
    Map<String, String> reasons = new TreeMap<>();
    for (Row r : quarantined) {
      String key = r.getInt(0) + "/" + r.getLong(1);
      reasons.put(key, r.getString(2));
      byte[] sent = t.sent.get(key).get("value").asText().getBytes(StandardCharsets.UTF_8);
      assertArrayEquals(sent, r.<byte[]>getAs("raw_value"), "raw bytes of the quarantined record " + key);
    }
    assertEquals(quarantined.size(), reasons.size(), "a record is quarantined twice");
    assertEquals(t.expectedQuarantine(), reasons);
  }

  private static String sample(Set<String> s) {
    return s.stream().limit(3).toList().toString();
  }
}
