package io.iotpipe.jobs.backfill;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import io.delta.tables.DeltaTable;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.WindowAggregation;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.event.EventParser;
import io.iotpipe.event.EventSchema;
import io.iotpipe.features.FeatureComputation;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.jobs.backfill.BackfillJob.Action;
import io.iotpipe.jobs.aggregates.AggregateAssertions;
import io.iotpipe.jobs.backfill.BackfillJob.DayResult;
import io.iotpipe.local.LocalServices;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.sql.Date;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The backfill on the real local Cassandra and Delta: late and corrected events land in the
 * events table, the backfill recomputes the day, and Delta and Cassandra then hold exactly what a
 * fresh batch computation over the whole events table gives; a second run is a no-op; an
 * interrupted run resumes without redoing what it finished; a dry run writes nothing.
 */
@ExtendWith(LocalServicesExtension.class)
class BackfillIT {
  /** Two tenants of three devices, one event a minute each, from 22:00 the day before to 03:00. */
  static final int DEVICES = 6;
  static final int MINUTES = 300;

  final SparkSession spark = TestSpark.session();
  final LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
  final String root = TestSpark.newFolder("backfill").toString();
  final String keyspace = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  final String eventsPath = TableSpec.EVENTS.path(root);

  BackfillOptions options(LocalDate from, LocalDate to, Map<String, String> extra) {
    LocalServices s = LocalServicesExtension.services();
    Map<String, String> m = new HashMap<>(Map.of(
        "cassandra.contact-points", s.cassandraHost(),
        "cassandra.port", String.valueOf(s.cassandraPort()),
        "cassandra.keyspace", keyspace,
        "delta.root", root,
        "checkpoint.root", root + "-checkpoints",
        "backfill.from", from.toString(),
        "backfill.to", to.toString()));
    m.putAll(extra);
    return BackfillOptions.from(Settings.of(m));
  }

  @Test
  void lateAndCorrectedEventsAreBackfilledExactlyOnceAndResumably() throws Exception {
    writeEvents();
    LocalDate before = day.minusDays(1);
    BackfillOptions both = options(before, day, Map.of());

    // First run: nothing stored yet, every output-day is computed and written.
    BackfillJob.Result first = BackfillJob.backfill(spark, both);
    assertEquals(4, first.count(Action.REPLACED), first.toString());
    assertStoresEqualFreshComputation(both);

    // A second run changes nothing, not even a Delta version.
    long aggregatesVersion = version(AggregateTables.AGGREGATES);
    long featuresVersion = version(FeatureStore.offline(both.features().spec()));
    BackfillJob.Result second = BackfillJob.backfill(spark, both);
    assertEquals(4, second.count(Action.UNCHANGED), second.toString());
    assertEquals(0, second.rowsWritten());

    // Late events arrive and two events are corrected: a value, and a time that moves the event
    // into the next minute's window (its old window no longer exists).
    appendLateEvents();
    DeltaTable events = DeltaTable.forPath(spark, eventsPath);
    events.updateExpr("event_id = 'e-1-130'",
        Map.of("metrics", "map_concat(map_filter(metrics, (k, v) -> k != 'temperature'), map('temperature', 95.5D))"));
    events.updateExpr("event_id = 'e-4-200'", Map.of("event_time", "event_time + INTERVAL 70 SECONDS"));

    // A dry run plans the day before's outputs as unchanged, the day's as different; writes nothing.
    long logRows = spark.read().format("delta").load(BackfillLog.TABLE.path(root)).count();
    BackfillJob.Result dry = BackfillJob.backfill(spark, options(before, day, Map.of("backfill.dry-run", "true")));
    assertEquals(List.of(Action.UNCHANGED, Action.UNCHANGED, Action.PLANNED, Action.PLANNED),
        dry.days().stream().map(DayResult::action).toList());
    DayResult plannedAggregates = dry.days().get(2);
    assertTrue(plannedAggregates.changed() > 0 && plannedAggregates.removed() > 0, plannedAggregates.toString());
    assertEquals(aggregatesVersion, version(AggregateTables.AGGREGATES));
    assertEquals(featuresVersion, version(FeatureStore.offline(both.features().spec())));
    assertEquals(logRows, spark.read().format("delta").load(BackfillLog.TABLE.path(root)).count());

    // A run interrupted after its first output-day...
    RuntimeException crash = assertThrows(RuntimeException.class, () -> BackfillJob.backfill(spark, both, r -> {
      if (r.action() == Action.REPLACED) {
        throw new RuntimeException("killed");
      }
    }));
    assertEquals("killed", crash.getMessage());
    // ...resumes: the aggregates of the day are done and skipped, the features are recomputed.
    BackfillJob.Result resumed = BackfillJob.backfill(spark, both);
    assertEquals(List.of(Action.UNCHANGED, Action.UNCHANGED, Action.UNCHANGED, Action.REPLACED),
        resumed.days().stream().map(DayResult::action).toList());
    assertStoresEqualFreshComputation(both);
    assertEquals(0, cassandraDeviceWindow("t1", "d-4", "temperature", 60, minute(200)),
        "the window the corrected event left is deleted from Cassandra");

    BackfillJob.Result again = BackfillJob.backfill(spark, both);
    assertEquals(4, again.count(Action.UNCHANGED), again.toString());
  }

  /** 22:00 the day before + m minutes + the device's index in seconds. */
  Instant minute(int m) {
    return day.minusDays(1).atTime(22, 0).toInstant(ZoneOffset.UTC).plusSeconds(60L * m);
  }

  void writeEvents() {
    long start = minute(0).getEpochSecond();
    Dataset<Row> rows = spark.range(0, (long) DEVICES * MINUTES)
        .withColumn("dev", expr("id % " + DEVICES))
        .withColumn("m", expr("id div " + DEVICES))
        .withColumn("tenant_id", expr("concat('t', dev div 3)"))
        .withColumn("device_id", expr("concat('d-', dev)"))
        .withColumn("event_id", expr("concat('e-', dev, '-', m)"))
        .withColumn("event_time", expr("timestamp_seconds(" + start + " + m * 60 + dev)"))
        .withColumn("metrics", expr("map('temperature', 20 + dev + sin(m / 10.0), 'humidity', 40 + (m % 13) * 0.5, "
            + "'pressure', 1000 + cos(m / 7.0), 'battery', 100 - m * 0.01)"));
    append(rows);
  }

  void appendLateEvents() {
    long start = minute(0).getEpochSecond();
    // Devices 0 and 5, at 00:10:30 and 01:05:30 of the day: into existing windows.
    Dataset<Row> rows = spark.range(0, 4)
        .withColumn("dev", expr("CASE WHEN id < 2 THEN 0 ELSE 5 END"))
        .withColumn("m", expr("CASE WHEN id % 2 = 0 THEN 130 ELSE 185 END"))
        .withColumn("tenant_id", expr("concat('t', dev div 3)"))
        .withColumn("device_id", expr("concat('d-', dev)"))
        .withColumn("event_id", expr("concat('late-', dev, '-', m)"))
        .withColumn("event_time", expr("timestamp_seconds(" + start + " + m * 60 + 30)"))
        .withColumn("metrics", expr("map('temperature', 50.0D, 'humidity', 10.0D, 'pressure', 900.0D, "
            + "'battery', 5.0D)"));
    append(rows);
  }

  void append(Dataset<Row> rows) {
    TableSpec.EVENTS.createIfMissing(spark, new io.iotpipe.delta.StorageOptions(root, root, java.util.Optional.empty()));
    rows.withColumn("event_date", EventParser.utcDate(col("event_time")))
        .withColumn("schema_version", lit(1))
        .withColumn("attributes", lit(null).cast(EventSchema.ATTRIBUTES_TYPE))
        .withColumn("kafka_topic", lit("test"))
        .withColumn("kafka_partition", lit(0))
        .withColumn("kafka_offset", col("id"))
        .withColumn("kafka_timestamp", col("event_time"))
        .withColumn("ingest_time", col("event_time"))
        .select(java.util.Arrays.stream(EventSchema.EVENTS_TABLE.fieldNames()).map(Column::new).toArray(Column[]::new))
        .write().format("delta").mode("append").save(eventsPath);
  }

  long version(TableSpec t) {
    return DeltaTable.forPath(spark, t.path(root)).history(1).first().getLong(0);
  }

  /**
   * Delta {@code aggregates} and {@code features} of both days, and the Cassandra serving rows of
   * those windows and devices, equal a fresh batch computation over the whole events table.
   */
  void assertStoresEqualFreshComputation(BackfillOptions o) {
    Dataset<Row> all = spark.read().format("delta").load(eventsPath);
    Column days = col("window_date").between(lit(Date.valueOf(o.from())), lit(Date.valueOf(o.to())));

    Dataset<Row> freshWindows = AggregateTables.finals(WindowAggregation.batch(all, o.aggregates().spec()))
        .where(days).cache();
    Dataset<Row> storedWindows = spark.read().format("delta").load(AggregateTables.AGGREGATES.path(root)).cache();
    // Sums and moments rounded past floating-point noise: they are added up in whatever order the
    // partitions come in; everything else (percentiles and sketches included) must be equal.
    String[] rows = {"level", "tenant_id", "device_id", "metric", "window_size_s", "window_start", "window_end",
        "devices", "count", "round(sum, 9)", "min", "max", "round(mean, 9)", "round(stddev, 9)", "first_time",
        "first_value", "last_time", "last_value", "p50", "p95", "p99", "sketch", "window_date"};
    assertSameRows(freshWindows.selectExpr(rows), storedWindows.selectExpr(rows), "Delta aggregates");
    String[] stats = {"count", "round(sum, 9)", "min", "max", "round(mean, 9)", "round(stddev, 9)", "first_value",
        "last_value", "p50", "p95", "p99"};
    assertSameRows(freshWindows.where(col("level").equalTo("device"))
            .selectExpr(concat(new String[] {"tenant_id", "device_id", "metric", "cast(window_size_s AS INT)",
                "window_start"}, stats)),
        AggregateAssertions.served(o.cassandra(), WindowServing.DEVICE_TABLE).where(col("final"))
            .selectExpr(concat(new String[] {"tenant_id", "device_id", "metric", "window_size", "window_start"}, stats)),
        "Cassandra device_window_metrics");
    assertSameRows(freshWindows.where(col("level").equalTo("fleet"))
            .selectExpr(concat(new String[] {"tenant_id", "metric", "cast(window_size_s AS INT)", "window_start",
                "devices"}, stats)),
        AggregateAssertions.served(o.cassandra(), WindowServing.FLEET_TABLE).where(col("final"))
            .selectExpr(concat(new String[] {"tenant_id", "metric", "window_size", "window_start", "devices"}, stats)),
        "Cassandra fleet_window_metrics");
    freshWindows.unpersist();
    storedWindows.unpersist();

    FeatureSpec spec = o.features().spec();
    String[] featureCols = concat(new String[] {"tenant_id", "device_id", "event_id", "feature_time", "feature_date"},
        spec.names().stream().map(n -> "round(" + n + ", 9) AS " + n).toArray(String[]::new));
    Dataset<Row> freshFeatures = FeatureComputation.featureRows(FeatureComputation.batch(all, spec), spec)
        .where(col("feature_date").between(lit(Date.valueOf(o.from())), lit(Date.valueOf(o.to())))).cache();
    assertSameRows(freshFeatures.selectExpr(featureCols),
        spark.read().format("delta").load(FeatureStore.offline(spec).path(root)).selectExpr(featureCols),
        "Delta features");

    // Online: every device's latest vector, which is of the last backfilled day here.
    List<Row> latest = freshFeatures.groupBy("tenant_id", "device_id")
        .agg(org.apache.spark.sql.functions.max_by(
            FeatureComputation.values(spec.names()),
            col("feature_time")).as("v"))
        .collectAsList();
    assertEquals(DEVICES, latest.size());
    try (CqlSession s = o.cassandra().openSession()) {
      for (Row r : latest) {
        com.datastax.oss.driver.api.core.cql.Row c = s.execute("SELECT vector FROM " + keyspace + "."
            + FeatureStore.ONLINE_TABLE + " WHERE tenant_id = ? AND device_id = ?", r.getString(0), r.getString(1)).one();
        assertEquals(r.getList(2), c.getList("vector", Double.class), "online vector of " + r.getString(1));
      }
    }
    freshFeatures.unpersist();
  }

  long cassandraDeviceWindow(String tenant, String device, String metric, int size, Instant start) {
    try (CqlSession s = options(day, day, Map.of()).cassandra().openSession()) {
      com.datastax.oss.driver.api.core.cql.Row r = s.execute("SELECT metrics FROM " + keyspace + "."
              + WindowServing.DEVICE_TABLE + " WHERE tenant_id = ? AND device_id = ? AND window_size = ? AND bucket = ?"
              + " AND window_start = ?", tenant, device, size, AggregateTables.bucket(start, size), start).one();
      return r == null ? 0 : r.getMap(0, String.class, com.datastax.oss.driver.api.core.data.UdtValue.class)
          .containsKey(metric) ? 1 : 0;
    }
  }

  static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual, String what) {
    long missing = expected.exceptAll(actual).count();
    long unexpected = actual.exceptAll(expected).count();
    assertEquals(0, missing + unexpected, what + ": " + missing + " expected rows missing, " + unexpected
        + " unexpected rows, e.g. " + expected.exceptAll(actual).limit(2).collectAsList() + " / "
        + actual.exceptAll(expected).limit(2).collectAsList());
    assertTrue(expected.count() > 0, what + " is not empty");
  }

  static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
