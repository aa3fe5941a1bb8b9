package io.iotpipe.jobs.backfill;

import static org.apache.spark.sql.functions.col;

import io.iotpipe.delta.TableSpec;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What the backfill has recomputed: per output, day and scope (a tenant, or all), the digest of
 * the input events it computed from. A day whose input has the same digest as when it was last
 * recomputed is skipped: that makes a second run a no-op and an interrupted run resume where it
 * stopped, while a day that received late or corrected events since is recomputed.
 */
final class BackfillLog {
  static final TableSpec TABLE = new TableSpec("backfill_log", new StructType()
      .add("output", DataTypes.StringType)
      .add("day", DataTypes.DateType)
      .add("scope", DataTypes.StringType)
      .add("definitions", DataTypes.StringType)
      .add("input_digest", DataTypes.StringType)
      .add("events_version", DataTypes.LongType)
      .add("rows_written", DataTypes.LongType)
      .add("finished_at", DataTypes.TimestampType), List.of());

  private final SparkSession spark;
  private final String path;

  private final String deltaRoot;

  /** @param create whether to create the table if missing (not on a dry run, which writes nothing) */
  BackfillLog(SparkSession spark, io.iotpipe.delta.StorageOptions storage, boolean create) {
    this.spark = spark;
    this.deltaRoot = storage.deltaRoot();
    this.path = storage.table(TABLE);
    if (create) {
      TABLE.createIfMissing(spark, storage);
    }
  }

  /** The digest recorded the last time this output, day, scope and definitions were recomputed. */
  Optional<String> lastDigest(String output, LocalDate day, String scope, String definitions) {
    return TABLE.readOrEmpty(spark, deltaRoot)
        .where(col("output").equalTo(output).and(col("day").equalTo(java.sql.Date.valueOf(day)))
            .and(col("scope").equalTo(scope)).and(col("definitions").equalTo(definitions)))
        .orderBy(col("finished_at").desc()).limit(1).collectAsList().stream().findFirst()
        .map(r -> r.getString(r.fieldIndex("input_digest")));
  }

  void record(String output, LocalDate day, String scope, String definitions, String digest, long eventsVersion,
      long rows) {
    Row r = RowFactory.create(output, java.sql.Date.valueOf(day), scope, definitions, digest, eventsVersion, rows,
        Timestamp.from(Instant.now()));
    spark.createDataFrame(List.of(r), TABLE.schema()).write().format("delta").mode("append").save(path);
  }
}
