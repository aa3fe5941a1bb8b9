package io.iotpipe.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iotpipe.testing.TestSpark;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

/** The batch form of the window aggregation on a small hand-computed data set. */
class WindowAggregationTest {
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  static final StructType EVENTS = StructType.fromDDL("tenant_id STRING, device_id STRING, event_id STRING, "
      + "event_time TIMESTAMP, metrics MAP<STRING, DOUBLE>, kafka_partition INT, kafka_offset BIGINT");
  static final AggregationSpec SPEC = new AggregationSpec(List.of(Duration.ofMinutes(1), Duration.ofHours(1)),
      Duration.ofMinutes(2));

  static Row event(String device, String id, int secondsAfterT0, double temperature, int partition, long offset) {
    return RowFactory.create("t1", device, id, Timestamp.from(T0.plusSeconds(secondsAfterT0)),
        JavaConverters.mapAsScalaMap(Map.of("temperature", temperature)), partition, offset);
  }

  @Test
  void windowsPerDeviceAndFleetWithLongerWindowsMergedFromTheShortest() {
    List<Row> rows = List.of(
        event("d1", "e1", 10, 10, 0, 1), event("d1", "e2", 40, 20, 0, 2), event("d1", "e4", 80, 40, 0, 3),
        // Two events of d2 at the same millisecond: first and last by (partition, offset).
        event("d2", "e5", 30, 35, 1, 0), event("d2", "e3", 30, 30, 0, 5));
    Dataset<Row> events = TestSpark.session().createDataFrame(rows, EVENTS);
    Map<String, Row> w = new TreeMap<>();
    for (Row r : WindowAggregation.batch(events, SPEC).collectAsList()) {
      w.put(r.getAs("level") + "/" + r.getAs("device_id") + "/" + r.getAs("window_size_s") + "/"
          + (r.<Timestamp>getAs("window_start").toInstant().getEpochSecond() - T0.getEpochSecond()), r);
    }
    assertEquals(List.of("device/d1/3600/0", "device/d1/60/0", "device/d1/60/60", "device/d2/3600/0",
        "device/d2/60/0", "fleet/null/3600/0", "fleet/null/60/0", "fleet/null/60/60"), new ArrayList<>(w.keySet()));

    assertStats(w.get("device/d1/60/0"), 2, 30, 10, 20, 15, 5, 10, 20, 20, 20, 1);
    assertStats(w.get("device/d2/60/0"), 2, 65, 30, 35, 32.5, 2.5, 30, 35, 35, 35, 1);
    assertStats(w.get("fleet/null/60/0"), 4, 95, 10, 35, 23.75, Math.sqrt(368.75 / 4), 10, 20, 30, 35, 2);
    assertStats(w.get("fleet/null/60/60"), 1, 40, 40, 40, 40, 0, 40, 40, 40, 40, 1);
    // The hours, merged from the minutes.
    assertStats(w.get("device/d1/3600/0"), 3, 70, 10, 40, 70.0 / 3, Math.sqrt((Math.pow(10 - 70.0 / 3, 2)
        + Math.pow(20 - 70.0 / 3, 2) + Math.pow(40 - 70.0 / 3, 2)) / 3), 10, 40, 20, 40, 1);
    assertStats(w.get("fleet/null/3600/0"), 5, 135, 10, 40, 27, Math.sqrt((17 * 17 + 7 * 7 + 3 * 3 + 8 * 8 + 13 * 13) / 5.0),
        10, 40, 30, 40, 2);
    assertEquals(Timestamp.from(T0.plusSeconds(3600)), w.get("fleet/null/3600/0").getAs("window_end"));
  }

  static void assertStats(Row r, long count, double sum, double min, double max, double mean, double stddev,
      double first, double last, double p50, double p99, long devices) {
    assertEquals(count, (long) r.getAs("count"), "count");
    assertEquals(sum, (double) r.getAs("sum"), 1e-9, "sum");
    assertEquals(min, (double) r.getAs("min"), 1e-9, "min");
    assertEquals(max, (double) r.getAs("max"), 1e-9, "max");
    assertEquals(mean, (double) r.getAs("mean"), 1e-9, "mean");
    assertEquals(stddev, (double) r.getAs("stddev"), 1e-9, "stddev");
    assertEquals(first, (double) r.getAs("first_value"), 1e-9, "first");
    assertEquals(last, (double) r.getAs("last_value"), 1e-9, "last");
    assertEquals(p50, (double) r.getAs("p50"), 1e-9, "p50");
    assertEquals(p99, (double) r.getAs("p99"), 1e-9, "p99");
    assertEquals(devices, (long) r.getAs("devices"), "devices");
  }
}
