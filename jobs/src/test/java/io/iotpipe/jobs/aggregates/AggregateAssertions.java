package io.iotpipe.jobs.aggregates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.AggregationSpec;
import io.iotpipe.aggregate.WindowAggregation;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.testing.TestSpark;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Checks the aggregates job's output against the batch computation over the events table. */
public final class AggregateAssertions {
  private AggregateAssertions() {}

  /**
   * The stream's final windows (Delta {@code aggregates}) equal the batch computation over the
   * events table without the events the stream found late, window by window and statistic by
   * statistic (percentiles included: they depend only on the values); no window is final twice.
   */
  public static void assertFinalsEqualBatch(String eventsRoot, String root, AggregationSpec spec) {
    SparkSession spark = TestSpark.session();
    Dataset<Row> events = spark.read().format("delta").load(TableSpec.EVENTS.path(eventsRoot));
    Dataset<Row> late = spark.read().format("delta").load(root + "/late_events").select("tenant_id", "event_id")
        .distinct();
    Dataset<Row> onTime = events.join(late, scala.collection.JavaConverters.asScalaBuffer(
        List.of("tenant_id", "event_id")).toSeq(), "left_anti");
    Dataset<Row> batch = AggregateTables.finals(WindowAggregation.batch(onTime, spec)).cache();
    Dataset<Row> stream = spark.read().format("delta").load(root + "/aggregates");
    assertEquals(stream.count(), stream.select("level", "tenant_id", "device_id", "metric", "window_size_s",
        "window_start").distinct().count(), "a window is final twice");
    assertSameWindows(batch, stream, "stream finals against the batch computation", false);
    for (var size : spec.windowSizes()) {
      long n = stream.where("window_size_s = " + size.toSeconds()).count();
      assertTrue(n > (size.equals(spec.finest()) ? 100 : 0), n + " final windows of " + size + " compared");
    }
    batch.unpersist();
  }

  /**
   * Nothing lost, nothing doubled: every value of every valid event (each event once, as ingest
   * stored it) is in a smallest window of its device (final or still open, as Cassandra serves
   * them) or recorded in {@code late_events}.
   */
  public static void assertEveryEventInAWindowOrLate(String eventsRoot, String root, AggregatesOptions o) {
    SparkSession spark = TestSpark.session();
    long values = spark.read().format("delta").load(TableSpec.EVENTS.path(eventsRoot))
        .selectExpr("sum(size(metrics))").first().getLong(0);
    long late = spark.read().format("delta").load(root + "/late_events").count();
    long inWindows = served(o.cassandra(), WindowServing.DEVICE_TABLE)
        .where("window_size = " + o.spec().finest().toSeconds()).selectExpr("sum(count)").first().getLong(0);
    assertTrue(late > 0, "the test data has late events");
    assertEquals(values, inWindows + late, "values in windows (" + inWindows + ") + late (" + late + ")");
  }

  /**
   * A Cassandra serving table ({@link WindowServing}) read through the connector, one row per
   * window and metric: the key columns, metric, final, and the statistics.
   */
  public static Dataset<Row> served(CassandraOptions c, String table) {
    java.util.Map<String, String> options = new java.util.HashMap<>(c.sparkConf());
    options.put("keyspace", c.keyspace());
    options.put("table", table);
    return TestSpark.session().read().format("org.apache.spark.sql.cassandra").options(options).load()
        .selectExpr("*", "explode(metrics) AS (metric, s)").selectExpr("*", "s.*").drop("metrics", "s");
  }

  /**
   * Every window of {@code actual} is one of {@code expected} (and, if {@code all}, the other way
   * round), with the same statistics: exactly, but for the sums and moments, which are added up
   * in whatever order the partitions come in and are compared to 1e-9 relatively. Rows of
   * aggregates (final windows).
   */
  public static void assertSameWindows(Dataset<Row> expected, Dataset<Row> actual, String what, boolean all) {
    String[] key = {"level", "tenant_id", "device_id", "metric", "window_size_s", "window_start"};
    String[] exact = {"window_end", "devices", "count", "min", "max", "first_time", "first_value", "last_time",
        "last_value", "p50", "p95", "p99", "sketch"};
    String[] close = {"sum", "mean", "stddev"};
    Dataset<Row> e = expected.alias("e");
    Dataset<Row> a = actual.alias("a");
    org.apache.spark.sql.Column on = org.apache.spark.sql.functions.lit(true);
    for (String k : key) {
      on = on.and(e.col(k).eqNullSafe(a.col(k)));
    }
    Dataset<Row> joined = e.join(a, on, all ? "full_outer" : "right_outer");
    org.apache.spark.sql.Column differs = e.col("count").isNull().or(a.col("count").isNull());
    for (String c : exact) {
      differs = differs.or(e.col(c).eqNullSafe(a.col(c)).equalTo(false));
    }
    for (String c : close) {
      differs = differs.or(org.apache.spark.sql.functions.abs(e.col(c).minus(a.col(c)))
          .gt(org.apache.spark.sql.functions.greatest(org.apache.spark.sql.functions.lit(1.0),
              org.apache.spark.sql.functions.abs(e.col(c))).multiply(1e-9)));
    }
    List<Row> diff = joined.where(differs).limit(3).collectAsList();
    assertTrue(diff.isEmpty(), what + " differ, e.g. " + diff);
    assertTrue(actual.count() > 0, what + ": no windows");
  }
}
