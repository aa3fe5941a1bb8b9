package io.iotpipe.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iotpipe.testing.TestSpark;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class PointInTimeTest {
  static final Instant T = Instant.parse("2026-03-01T10:00:00Z");

  static Timestamp at(int seconds) {
    return Timestamp.from(T.plusSeconds(seconds));
  }

  @Test
  void joinsTheLatestFeatureRowAtOrBeforeEachLabelAndNeverALaterOne() {
    Dataset<Row> features = TestSpark.session().createDataFrame(List.of(
            RowFactory.create("t", "d1", at(-600), 1.0),  // too old for a 5-minute max age at t=0
            RowFactory.create("t", "d1", at(-10), 2.0),   // the right one for the label at t=0
            RowFactory.create("t", "d1", at(1), 3.0),     // one second after the label: the future
            RowFactory.create("t", "d1", at(60), 4.0),    // exactly at the second label's time
            RowFactory.create("t", "d2", at(-30), 5.0)),
        StructType.fromDDL("tenant_id STRING, device_id STRING, feature_time TIMESTAMP, x DOUBLE"));
    Dataset<Row> labels = TestSpark.session().createDataFrame(List.of(
            RowFactory.create("t", "d1", at(0), 1),
            RowFactory.create("t", "d1", at(60), 0),
            RowFactory.create("t", "d2", at(400), 1),  // its only feature row is 430 s old
            RowFactory.create("t", "d3", at(0), 0)),   // no features at all
        StructType.fromDDL("tenant_id STRING, device_id STRING, label_time TIMESTAMP, label INT"));

    List<Row> joined = PointInTime.join(labels, "label_time", features, Duration.ofMinutes(5))
        .orderBy("device_id", "label_time").collectAsList();

    assertEquals(2, joined.size());
    // A join on the nearest feature row would take x = 3.0 (one second later): leakage.
    assertEquals(2.0, joined.get(0).<Double>getAs("x"));
    assertEquals(at(-10), joined.get(0).getAs("feature_time"));
    assertEquals(1, (int) joined.get(0).getAs("label"));
    assertEquals(4.0, joined.get(1).<Double>getAs("x"), "a feature row at exactly the label time is not the future");
  }
}
