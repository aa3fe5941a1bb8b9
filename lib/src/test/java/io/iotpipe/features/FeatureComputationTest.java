package io.iotpipe.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iotpipe.testing.TestSpark;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

class FeatureComputationTest {
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  static final FeatureSpec SPEC = new FeatureSpec(List.of("temperature", "humidity"),
      List.of(Duration.ofMinutes(5), Duration.ofHours(1)), Duration.ofMinutes(2));
  static final StructType EVENTS = StructType.fromDDL(
      "tenant_id STRING, device_id STRING, event_id STRING, event_time TIMESTAMP, metrics MAP<STRING, DOUBLE>");

  static Row event(String id, int seconds, double temperature) {
    return RowFactory.create("t1", "d1", id, Timestamp.from(T0.plusSeconds(seconds)),
        JavaConverters.mapAsScalaMap(Map.of("temperature", temperature)));
  }

  @Test
  void handComputedFeaturesOfAShortSeries() {
    // Out of order: the batch computation sorts by event time.
    Dataset<Row> events = TestSpark.session().createDataFrame(List.of(
        event("e3", 120, 30), event("e1", 0, 10), event("e2", 60, 20)), EVENTS);
    Dataset<Row> out = FeatureComputation.batch(events, SPEC).cache();
    assertEquals(0, out.where(FeatureComputation.isLate()).count());
    List<Row> rows = FeatureComputation.featureRows(out, SPEC).orderBy("feature_time").collectAsList();
    assertEquals(3, rows.size());

    Row first = rows.get(0);
    assertEquals(3600.0, first.<Double>getAs("since_prev_s"), "no previous event: the longest horizon");
    assertEquals(0.2, first.<Double>getAs("rate_5m"), 1e-12);
    assertEquals(0.0, first.<Double>getAs("temperature_std_5m"));
    assertEquals(0.0, first.<Double>getAs("temperature_z_5m"), "no spread, no z-score");

    Row third = rows.get(2);
    assertEquals("e3", third.getAs("event_id"));
    assertEquals(60.0, third.<Double>getAs("since_prev_s"));
    assertEquals(0.6, third.<Double>getAs("rate_5m"), 1e-12);
    assertEquals(3.0, third.<Double>getAs("missing_5m"), "humidity missing three times");
    assertEquals(30.0, third.<Double>getAs("temperature_last"));
    assertEquals(20.0, third.<Double>getAs("temperature_mean_5m"), 1e-9);
    assertEquals(Math.sqrt(200.0 / 3), third.<Double>getAs("temperature_std_5m"), 1e-9);
    assertEquals(10.0, third.<Double>getAs("temperature_min_5m"));
    assertEquals(30.0, third.<Double>getAs("temperature_max_5m"));
    assertEquals(10.0, third.<Double>getAs("temperature_slope_5m"), 1e-9, "10 per minute");
    assertEquals(10 / Math.sqrt(200.0 / 3), third.<Double>getAs("temperature_z_5m"), 1e-9);
    assertEquals(third.<Double>getAs("temperature_z_5m"), third.<Double>getAs("temperature_absz_5m"));
    assertEquals(20.0, third.<Double>getAs("temperature_mean_1h"), 1e-9);
    assertEquals(0.0, third.<Double>getAs("humidity_mean_5m"));
    assertEquals(SPEC.id(), third.getAs("feature_set"));

    // Each feature once, as a named column; the model's vector is assembled from them in name order.
    assertEquals(6 + SPEC.names().size(), third.size());
    Vector v = FeatureComputation.featureRows(out, SPEC).where("event_id = 'e3'")
        .select(FeatureComputation.vector(SPEC.names())).first().getAs(0);
    assertEquals(SPEC.names().size(), v.size());
    for (int i = 0; i < SPEC.names().size(); i++) {
      assertEquals(third.<Double>getAs(SPEC.names().get(i)), v.apply(i), SPEC.names().get(i));
    }
    assertEquals(30.0, v.apply(SPEC.names().indexOf("temperature_last")));

    // The online store's row: the device's latest vector only, e3's, arriving first in the input.
    List<Row> latest = FeatureComputation.latestFeatureRows(out, SPEC).collectAsList();
    assertEquals(1, latest.size());
    assertEquals("e3", latest.get(0).getAs("event_id"));
    assertEquals(third, latest.get(0));
  }

  @Test
  void aFiveMinuteHorizonForgetsWhatIsOlder() {
    Dataset<Row> events = TestSpark.session().createDataFrame(List.of(
        event("a", 0, 100), event("b", 400, 10)), EVENTS);
    Row last = FeatureComputation.featureRows(FeatureComputation.batch(events, SPEC), SPEC)
        .orderBy("feature_time").collectAsList().get(1);
    assertEquals(10.0, last.<Double>getAs("temperature_mean_5m"), 1e-12);
    assertEquals(55.0, last.<Double>getAs("temperature_mean_1h"), 1e-12);
    assertEquals(400.0, last.<Double>getAs("since_prev_s"));
  }
}
