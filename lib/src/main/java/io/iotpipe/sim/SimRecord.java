package io.iotpipe.sim;

import java.time.Instant;

/**
 * One Kafka record the simulator sends, with what it knows about it.
 *
 * @param arrival when it reaches Kafka (the record timestamp); records are sent in this order
 * @param eventTime the event time it carries (for a malformed record: of the event it broke)
 * @param kind what it is
 * @param malformed the kind of damage, for {@link Kind#MALFORMED} records
 * @param delayMillis arrival minus event time
 */
public record SimRecord(
    String key,
    byte[] value,
    Instant arrival,
    Instant eventTime,
    String tenantId,
    String deviceId,
    String eventId,
    Kind kind,
    MalformedKind malformed,
    long delayMillis,
    long sequence) {

  public enum Kind {
    /** A valid event, on time or a little out of order. */
    EVENT,
    /** A valid event that arrives late (after late-min-delay). */
    LATE_EVENT,
    /** A second copy of a valid event. */
    DUPLICATE,
    /** A broken record. */
    MALFORMED
  }
}
