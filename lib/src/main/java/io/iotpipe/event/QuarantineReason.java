package io.iotpipe.event;

/**
 * Why a Kafka record is not a valid event. The enum name is the machine-readable code stored in
 * the {@code reason} column of the quarantine table; {@code reason_detail} adds the field, metric
 * or value concerned where there is one. Checks run in this order and the first failure wins.
 */
public enum QuarantineReason {
  /** The Kafka record has no value or an empty one. */
  EMPTY_PAYLOAD,
  /** The value is longer than {@code validation.max-event-bytes}. */
  OVERSIZED_PAYLOAD,
  /** The value is not a JSON object (plain text, a number, an array...). */
  NOT_JSON,
  /** The value starts like a JSON object but does not parse, e.g. it was truncated. */
  MALFORMED_JSON,
  /** Valid JSON, but a field has the wrong type (detail: the field). */
  WRONG_TYPE,
  /** A required field is absent, null or blank; for metrics also an empty object (detail: the field). */
  MISSING_FIELD,
  /** {@code schema_version} is not one this build can read (detail: the version). */
  UNSUPPORTED_SCHEMA_VERSION,
  /** {@code event_time} is neither ISO-8601 with an offset nor epoch milliseconds (detail: the value). */
  INVALID_EVENT_TIME,
  /** The event time is later than the Kafka timestamp plus {@code validation.max-future-skew}. */
  EVENT_TIME_IN_FUTURE,
  /** The event time is earlier than the Kafka timestamp minus {@code validation.max-event-age}. */
  EVENT_TIME_TOO_OLD,
  /** A metric is NaN or infinite (detail: the metric). */
  NON_FINITE_METRIC
}
