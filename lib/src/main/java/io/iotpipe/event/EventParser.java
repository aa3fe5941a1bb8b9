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
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_compact;
import static org.apache.spark.sql.functions.array_max;
import static org.apache.spark.sql.functions.array_min;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.date_from_unix_date;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.timestamp_millis;
import static org.apache.spark.sql.functions.try_to_timestamp;
import static org.apache.spark.sql.functions.unix_seconds;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.ltrim;
import static org.apache.spark.sql.functions.map_filter;
import static org.apache.spark.sql.functions.map_keys;
import static org.apache.spark.sql.functions.map_values;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Parses and validates Kafka records into telemetry events: the one place where raw bytes become
 * events, shared by every job that reads the topic and by batch recomputations.
 *
 * <p>{@link #parse} keeps every input row and adds {@code reason}: null for a valid event, else a
 * {@link QuarantineReason} code with a {@code reason_detail}. Nothing is filtered out here, so a
 * caller can account for every record. It uses Spark built-ins only (no UDFs), works on batch and
 * streaming Datasets alike, and never throws on bad input, whatever the ANSI setting.
 */
public final class EventParser {
  private EventParser() {}

  private static final String ISO_WITH_OFFSET = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXX";

  /**
   * @param kafkaRecords rows with the Kafka source's columns (key, value, topic, partition,
   *     offset, timestamp)
   * @return one row per input row: the canonical event columns, {@code event_date}, the Kafka
   *     lineage ({@code kafka_*}), {@code raw_value}, {@code reason} and {@code reason_detail}
   */
  public static Dataset<Row> parse(Dataset<Row> kafkaRecords, ValidationLimits limits) {
    requireCorrectedTimeParser(kafkaRecords.sparkSession());

    Column value = col("value");
    Column text = value.cast("string");
    Column bytes = length(value);
    Column looksLikeObject = ltrim(text).startsWith("{");
    // Only records that may be events are handed to the JSON parser: an oversized or plainly
    // non-JSON payload costs no parsing.
    Column parseable = bytes.between(1, limits.maxEventBytes()).and(looksLikeObject);

    Dataset<Row> wire = kafkaRecords.select(
        col("key").cast("string").as(KAFKA_KEY),
        value.as(RAW_VALUE),
        col("topic").as(KAFKA_TOPIC),
        col("partition").as(KAFKA_PARTITION),
        col("offset").as(KAFKA_OFFSET),
        col("timestamp").as(KAFKA_TIMESTAMP),
        bytes.as("_bytes"),
        looksLikeObject.as("_object"),
        when(parseable, from_json(text, EventSchema.WIRE)).as("_json"))
        // One JSON parse per record. A filter on the result (valid events only, say) would
        // otherwise be pushed below this projection with from_json copied into it once per field
        // it reads, ~20 parses per record: Spark 3.5 pushes predicates through projections
        // whatever they cost (SPARK-47672). A generator is a barrier it does not cross; exploding
        // a one-element array keeps exactly one row per record. The generator only passes the
        // parse on: over from_json itself (not code-generated) it would be evaluated interpreted,
        // row by row, and so would the rest of the parse's stage.
        .select(col("*"), explode(array(col("_json"))).as("_wire"))
        .drop("_json");

    Column w = col("_wire");
    Column eventTimeText = w.getField(EVENT_TIME);
    Dataset<Row> canonical = wire.select(
        col("*"),
        w.getField(SCHEMA_VERSION).as(SCHEMA_VERSION),
        // Version 1 maps one to one onto the canonical columns; a later version maps here.
        w.getField(TENANT_ID).as(TENANT_ID),
        w.getField(DEVICE_ID).as(DEVICE_ID),
        w.getField(EVENT_ID).as(EVENT_ID),
        eventTimeText.as("_event_time_text"),
        eventTime(eventTimeText).as(EVENT_TIME),
        withoutNullValues(w.getField(METRICS)).as(METRICS),
        w.getField(ATTRIBUTES).as(ATTRIBUTES));

    // The verdict behind the same kind of barrier: a caller's filter on the reason (valid events
    // only, say) would otherwise be pushed below these projections with the whole validation,
    // the time parse included, copied into it (SPARK-47672 again): measured, every record's event
    // time was parsed four times and its metrics filtered six: keeping valid events took 1.9x the CPU.
    // The generator only passes the verdict on, so that the validation itself stays in generated
    // code (a generator over from_json, as in the reason, is evaluated row by row, interpreted).
    return canonical.select(col("*"), reason(limits).as("_reason"))
        .select(col("*"), explode(array(col("_reason"))).as(REASON))
        .select(
            col(TENANT_ID), col(DEVICE_ID), col(EVENT_ID), col(EVENT_TIME),
            utcDate(col(EVENT_TIME)).as(EVENT_DATE),
            col(SCHEMA_VERSION), col(METRICS), col(ATTRIBUTES),
            col(KAFKA_TOPIC), col(KAFKA_PARTITION), col(KAFKA_OFFSET), col(KAFKA_TIMESTAMP),
            col(KAFKA_KEY), col(RAW_VALUE),
            col(REASON),
            reasonDetail().as(REASON_DETAIL));
  }

  /** True for rows of {@link #parse} that are valid events. */
  public static Column isValid() {
    return col(REASON).isNull();
  }

  /**
   * The valid rows of {@link #parse}, to which the caller added {@code ingest_time}, shaped as
   * the {@code events} table.
   */
  public static Dataset<Row> events(Dataset<Row> parsed) {
    return parsed.where(isValid()).select(columns(EventSchema.EVENTS_TABLE.fieldNames()));
  }

  /**
   * The refused rows of {@link #parse}, to which the caller added {@code ingest_time}, shaped as
   * the {@code quarantine} table.
   */
  public static Dataset<Row> quarantine(Dataset<Row> parsed) {
    return parsed.where(col(REASON).isNotNull())
        .withColumn(INGEST_DATE, utcDate(col(INGEST_TIME)))
        .select(columns(EventSchema.QUARANTINE_TABLE.fieldNames()));
  }

  /** The UTC calendar date of a timestamp, whatever the session time zone. */
  public static Column utcDate(Column timestamp) {
    return date_from_unix_date(floor(unix_seconds(timestamp).divide(86_400)).cast("int"));
  }

  private static Column reason(ValidationLimits limits) {
    Column version = col(SCHEMA_VERSION);
    Column values = map_values(col(METRICS));
    return when(col(RAW_VALUE).isNull().or(col("_bytes").equalTo(0)), code(QuarantineReason.EMPTY_PAYLOAD))
        .when(col("_bytes").gt(limits.maxEventBytes()), code(QuarantineReason.OVERSIZED_PAYLOAD))
        .when(col("_object").equalTo(false), code(QuarantineReason.NOT_JSON))
        .when(col("_wire").getField(EventSchema.CORRUPT_RECORD).isNotNull(),
            when(isJson(), code(QuarantineReason.WRONG_TYPE))
                .otherwise(code(QuarantineReason.MALFORMED_JSON)))
        .when(version.isNull(), code(QuarantineReason.MISSING_FIELD))
        .when(version.isin(EventSchema.SUPPORTED_VERSIONS.toArray()).equalTo(false),
            code(QuarantineReason.UNSUPPORTED_SCHEMA_VERSION))
        .when(missingField().isNotNull(), code(QuarantineReason.MISSING_FIELD))
        .when(col(EVENT_TIME).isNull(), code(QuarantineReason.INVALID_EVENT_TIME))
        .when(col(EVENT_TIME).gt(col(KAFKA_TIMESTAMP).plus(lit(limits.maxFutureSkew()))),
            code(QuarantineReason.EVENT_TIME_IN_FUTURE))
        .when(col(EVENT_TIME).lt(col(KAFKA_TIMESTAMP).minus(lit(limits.maxEventAge()))),
            code(QuarantineReason.EVENT_TIME_TOO_OLD))
        // NaN sorts above every number, so the maximum finds NaN and +Infinity, the minimum -Infinity.
        .when(isnan(array_max(values)).or(array_max(values).equalTo(Double.POSITIVE_INFINITY))
                .or(array_min(values).equalTo(Double.NEGATIVE_INFINITY)),
            code(QuarantineReason.NON_FINITE_METRIC));
  }

  /** The field, metric or value a reason concerns; evaluated for quarantined rows only. */
  private static Column reasonDetail() {
    Column r = col(REASON);
    Column loose = from_json(col(RAW_VALUE).cast("string"), EventSchema.WIRE_AS_TEXT);
    Column wrongType =
        when(loose.getField(SCHEMA_VERSION).isNotNull()
                .and(loose.getField(SCHEMA_VERSION).rlike("^-?[0-9]{1,9}$").equalTo(false)),
            lit(SCHEMA_VERSION))
            .when(loose.getField(METRICS).isNotNull()
                    .and(from_json(loose.getField(METRICS), EventSchema.METRICS_TYPE, Map.of()).isNull()),
                lit(METRICS))
            .when(loose.getField(ATTRIBUTES).isNotNull()
                    .and(from_json(loose.getField(ATTRIBUTES), EventSchema.ATTRIBUTES_TYPE, Map.of()).isNull()),
                lit(ATTRIBUTES));
    Column nonFinite = element_at(map_keys(map_filter(col(METRICS),
        (k, v) -> isnan(v).or(v.equalTo(Double.POSITIVE_INFINITY))
            .or(v.equalTo(Double.NEGATIVE_INFINITY)))), 1);
    return when(r.equalTo(code(QuarantineReason.WRONG_TYPE)), wrongType)
        .when(r.equalTo(code(QuarantineReason.MISSING_FIELD)),
            when(col(SCHEMA_VERSION).isNull(), lit(SCHEMA_VERSION)).otherwise(missingField()))
        .when(r.equalTo(code(QuarantineReason.UNSUPPORTED_SCHEMA_VERSION)),
            col(SCHEMA_VERSION).cast("string"))
        .when(r.equalTo(code(QuarantineReason.INVALID_EVENT_TIME)), col("_event_time_text"))
        .when(r.isin(code(QuarantineReason.EVENT_TIME_IN_FUTURE), code(QuarantineReason.EVENT_TIME_TOO_OLD)),
            col(EVENT_TIME).cast("string"))
        .when(r.equalTo(code(QuarantineReason.OVERSIZED_PAYLOAD)), col("_bytes").cast("string"))
        .when(r.equalTo(code(QuarantineReason.NON_FINITE_METRIC)), nonFinite);
  }

  /** The first required field that is absent, null or blank; null when all are there. */
  private static Column missingField() {
    return when(blank(col(TENANT_ID)), lit(TENANT_ID))
        .when(blank(col(DEVICE_ID)), lit(DEVICE_ID))
        .when(blank(col(EVENT_ID)), lit(EVENT_ID))
        .when(blank(col("_event_time_text")), lit(EVENT_TIME))
        .when(col(METRICS).isNull().or(size(col(METRICS)).equalTo(0)), lit(METRICS));
  }

  /** Whether the raw value is valid JSON at all (it failed the typed parse). */
  private static Column isJson() {
    return from_json(col(RAW_VALUE).cast("string"), EventSchema.WIRE_AS_TEXT)
        .getField(EventSchema.CORRUPT_RECORD).isNull();
  }

  /**
   * {@code event_time} as a timestamp: a JSON number (or numeric string) is epoch milliseconds,
   * anything else must be ISO-8601 with an offset. Null when it is neither.
   */
  static Column eventTime(Column text) {
    // At most 15 digits: the cast cannot fail and the value cannot overflow microseconds.
    Column millis = when(text.rlike("^-?[0-9]{1,15}$"), text.cast("long"));
    return when(millis.isNotNull(), timestamp_millis(millis))
        .otherwise(try_to_timestamp(text, lit(ISO_WITH_OFFSET)));
  }

  /** The metrics map without null values (a device may report a metric it could not read as null). */
  private static Column withoutNullValues(Column metrics) {
    // map_filter is not code-generated; only pay for it when there is a null to remove.
    return when(size(array_compact(map_values(metrics))).lt(size(metrics)),
            map_filter(metrics, (k, v) -> v.isNotNull()))
        .otherwise(metrics);
  }

  private static Column blank(Column c) {
    return c.isNull().or(trim(c).equalTo(""));
  }

  private static Column code(QuarantineReason r) {
    return lit(r.name());
  }

  private static Column[] columns(String[] names) {
    return Arrays.stream(names).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }

  /**
   * With Spark's default time parser policy (EXCEPTION), a timestamp string that only the legacy
   * parser accepts throws and would stop the stream: a bad event must never do that.
   */
  private static void requireCorrectedTimeParser(SparkSession spark) {
    String policy = spark.conf().get("spark.sql.legacy.timeParserPolicy", "EXCEPTION");
    if (!"CORRECTED".equals(policy.toUpperCase(Locale.ROOT))) {
      throw new IllegalStateException("EventParser needs spark.sql.legacy.timeParserPolicy=CORRECTED"
          + " (it is " + policy + "); sessions from io.iotpipe.spark.SparkSessions set it");
    }
  }
}
