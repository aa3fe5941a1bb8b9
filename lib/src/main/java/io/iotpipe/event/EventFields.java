package io.iotpipe.event;

/**
 * Column and JSON field names of telemetry events and of the tables derived from them. One
 * place, so that the JSON writer, the Spark schemas and the table definitions cannot drift.
 */
public final class EventFields {
  private EventFields() {}

  // The event itself (JSON wire format and canonical columns).
  public static final String SCHEMA_VERSION = "schema_version";
  public static final String TENANT_ID = "tenant_id";
  public static final String DEVICE_ID = "device_id";
  public static final String EVENT_ID = "event_id";
  public static final String EVENT_TIME = "event_time";
  public static final String METRICS = "metrics";
  public static final String ATTRIBUTES = "attributes";

  // Derived and lineage columns.
  public static final String EVENT_DATE = "event_date";
  public static final String KAFKA_TOPIC = "kafka_topic";
  public static final String KAFKA_PARTITION = "kafka_partition";
  public static final String KAFKA_OFFSET = "kafka_offset";
  public static final String KAFKA_TIMESTAMP = "kafka_timestamp";
  public static final String KAFKA_KEY = "kafka_key";
  public static final String INGEST_TIME = "ingest_time";

  // Quarantine.
  public static final String RAW_VALUE = "raw_value";
  public static final String REASON = "reason";
  public static final String REASON_DETAIL = "reason_detail";
  public static final String INGEST_DATE = "ingest_date";
}
