package io.iotpipe.jobs.maintain;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.tables.DeltaTable;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.event.EventParser;
import io.iotpipe.event.EventSchema;
import io.iotpipe.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;

/**
 * Table and checkpoint maintenance on real Delta tables and real streaming checkpoints: a dry run
 * changes nothing, a run compacts and Z-orders only recent partitions with several files, vacuums
 * only files older than the retention (readers of older versions keep working), trims checkpoints
 * that still restart, and a second run finds nothing to do.
 */
class MaintainIT {
  private final SparkSession spark = TestSpark.session();
  private final String root = TestSpark.newFolder("maintain").toString();
  private final String checkpoints = root + "-checkpoints";
  private final String events = TableSpec.EVENTS.path(root);
  private final LocalDate today = LocalDate.now(ZoneOffset.UTC);

  @Test
  void optimizesVacuumsAndTrimsCheckpointsOnceAndSafely() throws Exception {
    for (int i = 0; i < 4; i++) {
      appendEvents(today, i * 10);
    }
    appendEvents(today.minusDays(20), 100);
    appendEvents(today.minusDays(20), 110);
    Path oldOrphan = orphan("part-00000-old-orphan.snappy.parquet", Duration.ofDays(8));
    Path newOrphan = orphan("part-00000-new-orphan.snappy.parquet", Duration.ZERO);
    long rows = spark.read().format("delta").load(events).count();
    long versionBefore = version();

    long lastBatch = runRateQuery("aggregates", 15);
    runRateQuery("ingest-reprocess-old", 2);
    age(Path.of(checkpoints, "ingest-reprocess-old"), Duration.ofDays(20));
    age(Path.of(checkpoints, "aggregates"), Duration.ofDays(20));

    MaintainJob.Report dry = MaintainJob.maintain(spark, options(Map.of("maintain.dry-run", "true")));
    MaintainJob.TableReport planned = dry.tables().get(0);
    assertEquals("events", planned.table());
    assertEquals(List.of(today.toString()), planned.partitionsOptimized());
    assertEquals(4, planned.filesBefore());
    assertEquals(1, planned.filesVacuumed(), "the old orphan only");
    assertEquals(versionBefore, version(), "a dry run writes nothing");
    assertTrue(Files.exists(oldOrphan));
    assertEquals(lastBatch + 1, batchFiles("aggregates", "offsets"));
    assertTrue(Files.exists(Path.of(checkpoints, "ingest-reprocess-old")));

    MaintainJob.Report done = MaintainJob.maintain(spark, options(Map.of()));
    MaintainJob.TableReport t = done.tables().get(0);
    assertEquals(List.of("tenant_id", "device_id"), t.zOrder());
    assertEquals(1, t.filesAfter());
    List<Row> optimizes = DeltaTable.forPath(spark, events).history().where(col("version").gt(versionBefore))
        .where(col("operation").equalTo("OPTIMIZE")).select("operationParameters.zOrderBy").collectAsList();
    assertEquals(1, optimizes.size());
    assertEquals("[\"tenant_id\",\"device_id\"]", optimizes.get(0).getString(0));
    assertEquals(1, filesOf(today), "today compacted");
    assertEquals(2, filesOf(today.minusDays(20)), "older than --maintain.optimize-days: left alone");
    assertEquals(rows, spark.read().format("delta").load(events).count());
    assertEquals(rows, spark.read().format("delta").option("versionAsOf", versionBefore).load(events).count(),
        "a reader of the version before OPTIMIZE still finds its files");
    assertFalse(Files.exists(oldOrphan), "unreferenced for longer than the retention: vacuumed");
    assertTrue(Files.exists(newOrphan), "unreferenced for less than the retention: kept");

    assertEquals(10, batchFiles("aggregates", "offsets"));
    assertTrue(batchFiles("aggregates", "commits") <= 10);
    assertFalse(Files.exists(Path.of(checkpoints, "ingest-reprocess-old")), "idle and no job's default: removed");
    long restartedTo = runRateQuery("aggregates", 2);
    assertTrue(restartedTo > lastBatch, "the trimmed checkpoint continues where it stopped");

    MaintainJob.Report again = MaintainJob.maintain(spark, options(Map.of()));
    assertEquals(List.of(), again.tables().get(0).partitionsOptimized());
    assertEquals(0, again.tables().get(0).filesVacuumed());
    assertEquals(restartedTo - lastBatch,
        again.checkpoints().stream().mapToInt(CheckpointMaintenance.Report::batchesRemoved).sum(),
        "only the batches run since");
  }

  private MaintainOptions options(Map<String, String> extra) {
    Map<String, String> m = new HashMap<>(Map.of("delta.root", root, "checkpoint.root", checkpoints,
        "maintain.checkpoint-keep", "10", "maintain.remove-idle-checkpoints", "true"));
    m.putAll(extra);
    return MaintainOptions.from(Settings.of(m));
  }

  /** Appends ten events of one day as one file. */
  private void appendEvents(LocalDate day, int first) {
    TableSpec.EVENTS.createIfMissing(spark, new io.iotpipe.delta.StorageOptions(root, root, java.util.Optional.empty()));
    long start = day.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    spark.range(first, first + 10).coalesce(1)
        .withColumn("tenant_id", expr("concat('t', id % 2)"))
        .withColumn("device_id", expr("concat('d-', id % 5)"))
        .withColumn("event_id", expr("concat('e-', id)"))
        .withColumn("event_time", expr("timestamp_seconds(" + start + " + id * 60)"))
        .withColumn("metrics", expr("map('temperature', cast(id AS double))"))
        .withColumn("event_date", EventParser.utcDate(col("event_time")))
        .withColumn("schema_version", lit(1))
        .withColumn("attributes", lit(null).cast(EventSchema.ATTRIBUTES_TYPE))
        .withColumn("kafka_topic", lit("test"))
        .withColumn("kafka_partition", lit(0))
        .withColumn("kafka_offset", col("id"))
        .withColumn("kafka_timestamp", col("event_time"))
        .withColumn("ingest_time", col("event_time"))
        .select(Arrays.stream(EventSchema.EVENTS_TABLE.fieldNames()).map(Column::new).toArray(Column[]::new))
        .write().format("delta").mode("append").save(events);
  }

  private long filesOf(LocalDate day) {
    return spark.read().format("delta").load(events).where(col("event_date").equalTo(java.sql.Date.valueOf(day)))
        .inputFiles().length;
  }

  private long version() {
    return DeltaTable.forPath(spark, events).history(1).first().getLong(0);
  }

  /** A data file no commit refers to (left by a failed write), last modified {@code age} ago. */
  private Path orphan(String name, Duration age) throws IOException {
    Path p = Path.of(events, "event_date=" + today, name);
    Files.write(p, new byte[] {1, 2, 3});
    Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(age)));
    return p;
  }

  /**
   * Runs a query on checkpoint {@code name} for at least {@code batches} more micro-batches and
   * returns the last batch id in its checkpoint's offsets (read after the stop: a batch may be
   * planned while the query stops, after its last progress was reported). Its session keeps
   * Spark's default 100 batches of metadata (the shared test session keeps 5), so that there is
   * something for the maintenance to trim.
   */
  private long runRateQuery(String name, int batches) throws Exception {
    SparkSession session = spark.newSession();
    session.conf().set("spark.sql.streaming.minBatchesToRetain", "100");
    StreamingQuery q = session.readStream().format("rate-micro-batch").option("rowsPerBatch", 10).load()
        .writeStream().format("noop").option("checkpointLocation", checkpoints + "/" + name)
        .trigger(Trigger.ProcessingTime(0)).start();
    try {
      long first = -1;
      while (true) {
        if (q.exception().isDefined()) {
          throw q.exception().get();
        }
        if (q.lastProgress() != null) {
          if (first < 0) {
            first = q.lastProgress().batchId();
          }
          if (q.lastProgress().batchId() - first >= batches - 1) {
            break;
          }
        }
        Thread.sleep(50);
      }
    } finally {
      q.stop();
    }
    try (Stream<Path> s = Files.list(Path.of(checkpoints, name, "offsets"))) {
      return s.map(p -> p.getFileName().toString()).filter(f -> f.matches("\\d+"))
          .mapToLong(Long::parseLong).max().orElseThrow();
    }
  }

  private long batchFiles(String checkpoint, String dir) throws IOException {
    try (Stream<Path> s = Files.list(Path.of(checkpoints, checkpoint, dir))) {
      return s.filter(p -> p.getFileName().toString().matches("\\d+")).count();
    }
  }

  private static void age(Path dir, Duration age) throws IOException {
    FileTime t = FileTime.from(Instant.now().minus(age));
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        Files.setLastModifiedTime(p, t);
      }
    }
  }
}
