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
  static final StructType EVENTS = StructType.fromDDL(
      "tenant_id STRING, device_id STRING, event_id STRING, event_time TIMESTAMP, metrics MAP<STRING, DOUBLE>");
  static final AggregationSpec SPEC = new AggregationSpec(List.of(Duration.ofMinutes(1), Duration.ofHours(1)),
      Duration.ofMinutes(2), Duration.ofMinutes(10));

  static Row event(String device, String id, int secondsAfterT0, double temperature) {
    return RowFactory.create("t1", device, id, Timestamp.from(T0.plusSeconds(secondsAfterT0)),
        JavaConverters.mapAsScalaMap(Map.of("temperature", temperature)));
  }

  @Test
  void batchWindowsPerDeviceAndFleet() {
    List<Row> rows = List.of(
        event("d1", "e1", 10, 10), event("d1", "e2", 40, 20), event("d1", "e2", 40, 20), // a duplicate
        event("d2", "e3", 30, 30), event("d1", "e4", 80, 40));
    Dataset<Row> events = TestSpark.session().createDataFrame(rows, EVENTS);
    Dataset<Row> out = WindowAggregation.batch(events, SPEC).cache();

    Map<String, Row> finals = new TreeMap<>();
    for (Row r : out.where("kind = 'FINAL'").collectAsList()) {
      finals.put(r.getAs("device_id") + "/" + r.getAs("window_size_s") + "/"
          + ((long) r.getAs("window_start_us") - T0.toEpochMilli() * 1000) / 1_000_000, r);
    }
    assertEquals(List.of("d1/3600/0", "d1/60/0", "d1/60/60", "d2/3600/0", "d2/60/0"), new ArrayList<>(finals.keySet()));
    Row d1 = finals.get("d1/60/0");
    assertEquals(2L, (long) d1.getAs("count"));
    assertEquals(30.0, d1.getAs("sum"));
    assertEquals(15.0, d1.getAs("mean"));
    assertEquals(5.0, d1.getAs("stddev"));
    assertEquals(10.0, d1.getAs("first_value"));
    assertEquals(20.0, d1.getAs("last_value"));
    assertEquals(20.0, d1.getAs("p50"));
    assertEquals(3L, (long) finals.get("d1/3600/0").getAs("count"), "the 1-hour window has both minutes");
    assertEquals(1L, out.where("kind = 'DUPLICATE'").count());

    List<Row> fleet = FleetRollup.merge(out.where("kind = 'FINAL'")).where("window_size_s = 60")
        .orderBy("window_start_us").collectAsList();
    assertEquals(2, fleet.size());
    Row f = fleet.get(0);
    assertEquals(2L, (long) f.getAs("devices"));
    assertEquals(3L, (long) f.getAs("count"));
    assertEquals(60.0, f.getAs("sum"));
    assertEquals(20.0, f.getAs("mean"));
    assertEquals(Math.sqrt(200.0 / 3), (double) f.getAs("stddev"), 1e-12);
    assertEquals(10.0, f.getAs("min"));
    assertEquals(30.0, f.getAs("max"));
    assertEquals(10.0, f.getAs("first_value"));
    assertEquals(20.0, f.getAs("last_value"));
    assertEquals(20.0, f.getAs("p50"));
    assertEquals(30.0, f.getAs("p99"));
  }
}
