package io.iotpipe.event;

import static io.iotpipe.event.EventFields.ATTRIBUTES;
import static io.iotpipe.event.EventFields.DEVICE_ID;
import static io.iotpipe.event.EventFields.EVENT_DATE;
import static io.iotpipe.event.EventFields.EVENT_ID;
import static io.iotpipe.event.EventFields.EVENT_TIME;
import static io.iotpipe.event.EventFields.INGEST_DATE;
import static io.iotpipe.event.EventFields.INGEST_TIME;
import static io.iotpipe.event.EventFields.KAFKA_KEY;
import static io.iotpipe.event.EventFields.KAFKA_OFFSET;
import static io.iotpipe.event.EventFields.KAFKA_PARTITION;
import static io.iotpipe.event.EventFields.KAFKA_TIMESTAMP;
import static io.iotpipe.event.EventFields.KAFKA_TOPIC;
import static io.iotpipe.event.EventFields.METRICS;
import static io.iotpipe.event.EventFields.RAW_VALUE;
import static io.iotpipe.event.EventFields.REASON;
import static io.iotpipe.event.EventFields.REASON_DETAIL;
import static io.iotpipe.event.EventFields.SCHEMA_VERSION;
import static io.iotpipe.event.EventFields.TENANT_ID;

import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Spark schemas of telemetry events: the JSON wire format, the canonical event every job works
 * on, and the rows of the {@code events} and {@code quarantine} tables.
 *
 * <p><b>Versions.</b> The wire schema is the union of the fields of every version this build
 * reads ({@link #SUPPORTED_VERSIONS}), so that one JSON parse serves all of them; each version is
 * then mapped onto the canonical columns in {@link EventParser}. To add version 2: add its new
 * fields here (a field that changes type needs a new name), add 2 to the supported versions, and
 * map its fields in {@code EventParser.canonical}. Version 1 records keep parsing as before.
 */
public final class EventSchema {
  private EventSchema() {}

  public static final List<Integer> SUPPORTED_VERSIONS = List.of(1);
  public static final int CURRENT_VERSION = 1;

  /** Spark's name for the column that receives a record the JSON parser could not read. */
  public static final String CORRUPT_RECORD = "_corrupt_record";

  public static final DataType METRICS_TYPE =
      DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, true);
  public static final DataType ATTRIBUTES_TYPE =
      DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, true);

  /**
   * The JSON wire format, strictly typed. {@code event_time} is read as text because it may be
   * an ISO-8601 string or a number of epoch milliseconds.
   */
  public static final StructType WIRE = new StructType(new StructField[] {
      field(SCHEMA_VERSION, DataTypes.IntegerType),
      field(TENANT_ID, DataTypes.StringType),
      field(DEVICE_ID, DataTypes.StringType),
      field(EVENT_ID, DataTypes.StringType),
      field(EVENT_TIME, DataTypes.StringType),
      field(METRICS, METRICS_TYPE),
      field(ATTRIBUTES, ATTRIBUTES_TYPE),
      field(CORRUPT_RECORD, DataTypes.StringType)});

  /**
   * The same fields, all as text: a record that fails {@link #WIRE} but parses here is valid JSON
   * with a field of the wrong type (rather than broken JSON).
   */
  public static final StructType WIRE_AS_TEXT = new StructType(
      java.util.Arrays.stream(WIRE.fields())
          .map(f -> field(f.name(), DataTypes.StringType))
          .toArray(StructField[]::new));

  /** The canonical event, as {@link TelemetryEvent}. */
  public static final StructType CANONICAL = new StructType(new StructField[] {
      field(TENANT_ID, DataTypes.StringType),
      field(DEVICE_ID, DataTypes.StringType),
      field(EVENT_ID, DataTypes.StringType),
      field(EVENT_TIME, DataTypes.TimestampType),
      field(SCHEMA_VERSION, DataTypes.IntegerType),
      field(METRICS, METRICS_TYPE),
      field(ATTRIBUTES, ATTRIBUTES_TYPE)});

  /** Rows of the Delta table {@code events}: the event, its UTC date and its Kafka lineage. */
  public static final StructType EVENTS_TABLE = new StructType(new StructField[] {
      field(TENANT_ID, DataTypes.StringType),
      field(DEVICE_ID, DataTypes.StringType),
      field(EVENT_ID, DataTypes.StringType),
      field(EVENT_TIME, DataTypes.TimestampType),
      field(EVENT_DATE, DataTypes.DateType),
      field(SCHEMA_VERSION, DataTypes.IntegerType),
      field(METRICS, METRICS_TYPE),
      field(ATTRIBUTES, ATTRIBUTES_TYPE),
      field(KAFKA_TOPIC, DataTypes.StringType),
      field(KAFKA_PARTITION, DataTypes.IntegerType),
      field(KAFKA_OFFSET, DataTypes.LongType),
      field(KAFKA_TIMESTAMP, DataTypes.TimestampType),
      field(INGEST_TIME, DataTypes.TimestampType)});

  /** Rows of the Delta table {@code quarantine}: the raw record, why it was refused, and where it came from. */
  public static final StructType QUARANTINE_TABLE = new StructType(new StructField[] {
      field(REASON, DataTypes.StringType),
      field(REASON_DETAIL, DataTypes.StringType),
      field(RAW_VALUE, DataTypes.BinaryType),
      field(KAFKA_KEY, DataTypes.StringType),
      field(KAFKA_TOPIC, DataTypes.StringType),
      field(KAFKA_PARTITION, DataTypes.IntegerType),
      field(KAFKA_OFFSET, DataTypes.LongType),
      field(KAFKA_TIMESTAMP, DataTypes.TimestampType),
      field(TENANT_ID, DataTypes.StringType),
      field(DEVICE_ID, DataTypes.StringType),
      field(INGEST_TIME, DataTypes.TimestampType),
      field(INGEST_DATE, DataTypes.DateType)});

  private static StructField field(String name, DataType type) {
    return DataTypes.createStructField(name, type, true);
  }
}
