package io.iotpipe.aggregate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.timestamp_micros;

import io.iotpipe.delta.TableSpec;
import io.iotpipe.event.EventParser;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Where window results go and in what shape: the Delta tables {@code aggregates} (final windows,
 * device and fleet level) and {@code late_events}, and the rows of the Cassandra serving tables
 * {@code device_windows} and {@code fleet_windows} (see the CQL migration V1). The streaming job
 * and batch recomputations shape their rows here, so they write the same columns.
 */
public final class AggregateTables {
  private AggregateTables() {}

  public static final String DEVICE_LEVEL = "device";
  public static final String FLEET_LEVEL = "fleet";
  public static final String DEVICE_WINDOWS = "device_windows";
  public static final String FLEET_WINDOWS = "fleet_windows";
  public static final String FLEET_WINDOW_STATE = "fleet_window_state";
  /** Windows per Cassandra partition: a day of 1-minute windows, 60 days of 1-hour windows. */
  public static final long WINDOWS_PER_BUCKET = 1440;

  private static final String[] STATS = {"count", "sum", "min", "max", "mean", "stddev", "first_time",
      "first_value", "last_time", "last_value", "p50", "p95", "p99"};

  public static final StructType AGGREGATES_SCHEMA = new StructType()
      .add("level", DataTypes.StringType)
      .add("tenant_id", DataTypes.StringType)
      .add("device_id", DataTypes.StringType)
      .add("metric", DataTypes.StringType)
      .add("window_size_s", DataTypes.LongType)
      .add("window_start", DataTypes.TimestampType)
      .add("window_end", DataTypes.TimestampType)
      .add("devices", DataTypes.LongType)
      .add("count", DataTypes.LongType)
      .add("sum", DataTypes.DoubleType)
      .add("min", DataTypes.DoubleType)
      .add("max", DataTypes.DoubleType)
      .add("mean", DataTypes.DoubleType)
      .add("stddev", DataTypes.DoubleType)
      .add("first_time", DataTypes.TimestampType)
      .add("first_value", DataTypes.DoubleType)
      .add("last_time", DataTypes.TimestampType)
      .add("last_value", DataTypes.DoubleType)
      .add("p50", DataTypes.DoubleType)
      .add("p95", DataTypes.DoubleType)
      .add("p99", DataTypes.DoubleType)
      .add("window_date", DataTypes.DateType);

  public static final StructType LATE_EVENTS_SCHEMA = new StructType()
      .add("tenant_id", DataTypes.StringType)
      .add("device_id", DataTypes.StringType)
      .add("event_id", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType)
      .add("metric", DataTypes.StringType)
      .add("value", DataTypes.DoubleType)
      .add("window_size_s", DataTypes.LongType)
      .add("window_start", DataTypes.TimestampType)
      .add("watermark", DataTypes.TimestampType)
      .add("event_date", DataTypes.DateType);

  /** Final windows, one row per device, metric and window, and per tenant, metric and window (level fleet). */
  public static final TableSpec AGGREGATES = new TableSpec("aggregates", AGGREGATES_SCHEMA, List.of("window_date"))
      .zOrderBy("tenant_id", "device_id");

  /** Events that arrived after the watermark had passed their window, one row per metric and window size. */
  public static final TableSpec LATE_EVENTS = new TableSpec("late_events", LATE_EVENTS_SCHEMA, List.of("event_date"))
      .zOrderBy("tenant_id", "device_id");

  /** FINAL rows of the window output (see {@link WindowAggregation#readable}) as aggregates rows. */
  public static Dataset<Row> deviceFinals(Dataset<Row> readableOutput) {
    return readableOutput.where(col("kind").equalTo(WindowOutput.FINAL))
        .withColumn("level", lit(DEVICE_LEVEL))
        .withColumn("devices", lit(1L))
        .withColumn("window_date", EventParser.utcDate(col("window_start")))
        .select(columns(AGGREGATES_SCHEMA));
  }

  /** Merged fleet rows of {@link FleetRollup#merge} as aggregates rows. */
  public static Dataset<Row> fleetFinals(Dataset<Row> merged) {
    return withTimes(merged)
        .withColumn("level", lit(FLEET_LEVEL))
        .withColumn("device_id", lit(null).cast("string"))
        .withColumn("window_date", EventParser.utcDate(col("window_start")))
        .select(columns(AGGREGATES_SCHEMA));
  }

  /** LATE rows of the window output as late_events rows. */
  public static Dataset<Row> lateEvents(Dataset<Row> readableOutput) {
    return readableOutput.where(col("kind").equalTo(WindowOutput.LATE))
        .withColumn("watermark", timestamp_micros(col("watermark_ms").multiply(1000L)))
        .withColumn("event_date", EventParser.utcDate(col("event_time")))
        .select(columns(LATE_EVENTS_SCHEMA));
  }

  /** UPDATE and FINAL rows of the window output as device_windows rows. */
  public static Dataset<Row> deviceWindowRows(Dataset<Row> readableOutput) {
    return readableOutput.where(col("kind").isin(WindowOutput.UPDATE, WindowOutput.FINAL))
        .select(servingColumns(col("kind").equalTo(WindowOutput.FINAL), col("tenant_id"), col("device_id"),
            col("metric")));
  }

  /** Columns of a serving row (device_windows or fleet_windows) from a row with window and stats columns. */
  public static Column[] servingColumns(Column isFinal, Column... keys) {
    Column[] head = {
        col("window_size_s").cast("int").as("window_size"),
        bucket(col("window_start_us"), col("window_size_s")).as("bucket"),
        col("window_start"), col("window_end")};
    Column[] out = new Column[keys.length + head.length + STATS.length + 2];
    int i = 0;
    for (Column k : keys) {
      out[i++] = k;
    }
    for (Column h : head) {
      out[i++] = h;
    }
    for (String s : STATS) {
      out[i++] = col(s);
    }
    out[i++] = isFinal.as("final");
    out[i] = current_timestamp().as("updated_at");
    return out;
  }

  /**
   * Upserts UPDATE and FINAL rows of the window output to device_windows (the same key gets the
   * same values when a batch is written again).
   */
  public static void writeDeviceWindows(Dataset<Row> readableOutput, io.iotpipe.cassandra.CassandraOptions cassandra,
      java.time.Duration ttl) {
    java.util.Map<String, String> o = new java.util.HashMap<>(cassandra.sparkConf());
    o.put("keyspace", cassandra.keyspace());
    o.put("table", DEVICE_WINDOWS);
    o.put("spark.cassandra.output.ttl", String.valueOf(ttl.toSeconds()));
    deviceWindowRows(readableOutput).write().format("org.apache.spark.sql.cassandra").options(o).mode("append").save();
  }

  /** Adds window_start, window_end, first_time and last_time to rows with *_us columns. */
  public static Dataset<Row> withTimes(Dataset<Row> rows) {
    return rows
        .withColumn("window_start", timestamp_micros(col("window_start_us")))
        .withColumn("window_end", timestamp_micros(col("window_start_us").plus(col("window_size_s").multiply(1_000_000L))))
        .withColumn("first_time", timestamp_micros(col("first_us")))
        .withColumn("last_time", timestamp_micros(col("last_us")));
  }

  /** The start of the Cassandra time bucket of a window (Spark expression). */
  public static Column bucket(Column windowStartMicros, Column sizeSeconds) {
    Column span = sizeSeconds.multiply(WINDOWS_PER_BUCKET * 1_000_000L);
    return timestamp_micros(floor(windowStartMicros.divide(span)).cast("long").multiply(span));
  }

  /** The start of the Cassandra time bucket of a window (for readers). */
  public static Instant bucket(Instant windowStart, long sizeSeconds) {
    long span = sizeSeconds * WINDOWS_PER_BUCKET * 1000L;
    return Instant.ofEpochMilli(Math.floorDiv(windowStart.toEpochMilli(), span) * span);
  }

  private static Column[] columns(StructType schema) {
    return java.util.Arrays.stream(schema.fieldNames()).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }
}
