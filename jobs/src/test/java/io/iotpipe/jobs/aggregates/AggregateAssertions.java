package io.iotpipe.jobs.aggregates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.AggregationSpec;
import io.iotpipe.aggregate.FleetRollup;
import io.iotpipe.aggregate.WindowAggregation;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.testing.TestSpark;
import java.time.Duration;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Checks the aggregates job's Delta output against the batch computation over the events table. */
public final class AggregateAssertions {
  private AggregateAssertions() {}

  /**
   * The stream's final windows equal the batch computation over the events table without the
   * events the stream found late, window size by window size; every batch window the stream's
   * watermark has passed is final in the stream.
   */
  public static void assertFinalsEqualBatch(String eventsRoot, String root, AggregationSpec spec,
      boolean exactPercentiles) {
    SparkSession spark = TestSpark.session();
    Dataset<Row> events = spark.read().format("delta").load(TableSpec.EVENTS.path(eventsRoot));
    Dataset<Row> late = spark.read().format("delta").load(root + "/late_events");
    Dataset<Row> stream = spark.read().format("delta").load(root + "/aggregates");
    long streamed = 0;
    for (Duration size : spec.windowSizes()) {
      Dataset<Row> lateIds = late.where("window_size_s = " + size.toSeconds()).select("event_id").distinct();
      Dataset<Row> onTime = events.join(lateIds, events.col("event_id").equalTo(lateIds.col("event_id")), "left_anti");
      AggregationSpec one = new AggregationSpec(List.of(size), spec.allowedLateness(), spec.dedupWindow());
      Dataset<Row> batchOut = WindowAggregation.batch(onTime, one).cache();
      Dataset<Row> batch = AggregateTables.deviceFinals(WindowAggregation.readable(batchOut))
          .unionByName(AggregateTables.fleetFinals(FleetRollup.merge(batchOut.where("kind = 'FINAL'"))));
      Dataset<Row> streamSize = stream.where("window_size_s = " + size.toSeconds());
      assertEquals(streamSize.count(), streamSize.select("level", "tenant_id", "device_id", "metric", "window_start")
          .distinct().count(), "a window is final twice");
      List<Row> diff = streamSize.selectExpr(stats(exactPercentiles)).except(batch.selectExpr(stats(exactPercentiles))).collectAsList();
      assertTrue(diff.isEmpty(), "stream finals differ from batch (size " + size + "): " + diff.subList(0, Math.min(3, diff.size())));
      streamed += streamSize.count();
      batchOut.unpersist();
    }
    assertTrue(streamed > 100, "windows compared: " + streamed);
  }

  /**
   * The compared columns, rounded past floating-point noise. Percentiles come from KLL sketches,
   * which give the same answer only when merged in the same order: exact in one local session,
   * not when a cluster partitions the data differently.
   */
  private static String[] stats(boolean exactPercentiles) {
    List<String> c = new java.util.ArrayList<>(List.of("level", "tenant_id", "device_id", "metric", "window_size_s",
        "window_start", "devices", "count", "round(sum, 6) AS sum", "min", "max", "round(mean, 6) AS mean",
        "round(stddev, 6) AS stddev", "first_time", "first_value", "last_time", "last_value"));
    if (exactPercentiles) {
      c.addAll(List.of("p50", "p95", "p99"));
    }
    return c.toArray(String[]::new);
  }
}
