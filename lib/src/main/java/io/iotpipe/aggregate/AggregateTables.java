package io.iotpipe.aggregate;

import static io.iotpipe.aggregate.WindowAggregation.DEVICE_LEVEL;
import static io.iotpipe.aggregate.WindowAggregation.LATE_EVENT_ID;
import static io.iotpipe.aggregate.WindowAggregation.WATERMARK_MS;
import static io.iotpipe.aggregate.WindowAggregation.WINDOW_START;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.timestamp_millis;

import io.iotpipe.delta.TableSpec;
import io.iotpipe.event.EventFields;
import io.iotpipe.event.EventParser;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where window results go and in what shape: the Delta tables {@code aggregates} (final windows,
 * device and fleet level) and {@code late_events}, and the time buckets of the Cassandra serving
 * tables (see {@link WindowServing}). The streaming job and batch recomputations shape their rows here.
 */
public final class AggregateTables {
  private AggregateTables() {}

  /** Windows per Cassandra partition: a day of 1-minute windows, 60 days of 1-hour windows. */
  public static final long WINDOWS_PER_BUCKET = 1440;

  private static final StructType WINDOW_KEY = new StructType()
      .add(WindowAggregation.LEVEL, DataTypes.StringType)
      .add(EventFields.TENANT_ID, DataTypes.StringType)
      .add(EventFields.DEVICE_ID, DataTypes.StringType)
      .add(WindowAggregation.METRIC, DataTypes.StringType)
      .add(WindowAggregation.WINDOW_SIZE_S, DataTypes.LongType)
      .add(WINDOW_START, DataTypes.TimestampType)
      .add(WindowAggregation.WINDOW_END, DataTypes.TimestampType);

  /** Final windows: the key, devices, the statistics with the sketch, and the UTC date of the window. */
  public static final StructType AGGREGATES_SCHEMA = add(add(WINDOW_KEY.add(WindowAggregation.DEVICES,
      DataTypes.LongType), WindowStats.SCHEMA), new StructType().add("window_date", DataTypes.DateType));

  public static final StructType LATE_EVENTS_SCHEMA = new StructType()
      .add(EventFields.TENANT_ID, DataTypes.StringType)
      .add(EventFields.DEVICE_ID, DataTypes.StringType)
      .add(EventFields.EVENT_ID, DataTypes.StringType)
      .add(EventFields.EVENT_TIME, DataTypes.TimestampType)
      .add(WindowAggregation.METRIC, DataTypes.StringType)
      .add("value", DataTypes.DoubleType)
      .add(WindowAggregation.WINDOW_SIZE_S, DataTypes.LongType)
      .add(WINDOW_START, DataTypes.TimestampType)
      .add("watermark", DataTypes.TimestampType)
      .add(EventFields.EVENT_DATE, DataTypes.DateType);

  /** A window row: {@link WindowAggregation#windowColumns}. */
  public static final StructType WINDOW_ROW_SCHEMA = add(WINDOW_KEY, WindowStats.SCHEMA);

  /** Final windows, one row per device, metric and window, and per tenant, metric and window (level fleet). */
  public static final TableSpec AGGREGATES = new TableSpec("aggregates", AGGREGATES_SCHEMA, List.of("window_date"))
      .zOrderBy("tenant_id", "device_id");

  /** Events that arrived after the watermark had passed their window, one row per metric. */
  public static final TableSpec LATE_EVENTS = new TableSpec("late_events", LATE_EVENTS_SCHEMA, List.of("event_date"))
      .zOrderBy("tenant_id", "device_id");

  /** Final windows (rows of {@link WindowAggregation#withDevices}) as aggregates rows. */
  public static Dataset<Row> finals(Dataset<Row> windows) {
    return windows.withColumn("window_date", EventParser.utcDate(col(WINDOW_START))).select(columns(AGGREGATES_SCHEMA));
  }

  /** The windows of a stream's output. */
  public static Dataset<Row> windows(Dataset<Row> streamOutput) {
    return streamOutput.where(col(LATE_EVENT_ID).isNull());
  }

  /** The late events of a stream's output as late_events rows. */
  public static Dataset<Row> lateEvents(Dataset<Row> streamOutput) {
    return streamOutput.where(col(LATE_EVENT_ID).isNotNull()
            .and(col(WindowAggregation.LEVEL).equalTo(DEVICE_LEVEL)))
        .select(col(EventFields.TENANT_ID), col(EventFields.DEVICE_ID), col(LATE_EVENT_ID).as(EventFields.EVENT_ID),
            col(WindowStats.FIRST_TIME).as(EventFields.EVENT_TIME), col(WindowAggregation.METRIC),
            col(WindowStats.FIRST_VALUE).as("value"), col(WindowAggregation.WINDOW_SIZE_S), col(WINDOW_START),
            timestamp_millis(col(WATERMARK_MS)).as("watermark"),
            EventParser.utcDate(col(WindowStats.FIRST_TIME)).as(EventFields.EVENT_DATE));
  }

  /** The start of the Cassandra time bucket of a window (for readers and writers). */
  public static Instant bucket(Instant windowStart, long sizeSeconds) {
    long span = sizeSeconds * WINDOWS_PER_BUCKET * 1000L;
    return Instant.ofEpochMilli(Math.floorDiv(windowStart.toEpochMilli(), span) * span);
  }

  private static StructType add(StructType a, StructType b) {
    StructType out = a;
    for (StructField f : b.fields()) {
      out = out.add(f);
    }
    return out;
  }

  private static Column[] columns(StructType schema) {
    return Arrays.stream(schema.fieldNames()).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }
}
