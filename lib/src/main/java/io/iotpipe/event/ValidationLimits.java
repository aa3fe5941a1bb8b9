package io.iotpipe.event;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import java.time.Duration;
import java.util.List;

/**
 * Limits that decide whether a well-formed event is plausible. Event times are judged against
 * the Kafka record timestamp, not the clock of the job, so a replay or a backfill years later
 * makes the same decisions as the live run.
 */
public record ValidationLimits(int maxEventBytes, Duration maxFutureSkew, Duration maxEventAge) {
  public static final OptionKey<Integer> MAX_EVENT_BYTES = OptionKey.integer(
      "validation.max-event-bytes", 65_536, 64, 1 << 20,
      "largest accepted Kafka value in bytes; larger ones are quarantined as OVERSIZED_PAYLOAD");
  public static final OptionKey<Duration> MAX_FUTURE_SKEW = OptionKey.duration(
      "validation.max-future-skew", Duration.ofHours(1), Duration.ZERO,
      "how far event_time may lie after the Kafka timestamp (device clock skew)");
  public static final OptionKey<Duration> MAX_EVENT_AGE = OptionKey.duration(
      "validation.max-event-age", Duration.ofDays(7), Duration.ofMinutes(1),
      "how far event_time may lie before the Kafka timestamp (buffered, offline devices)");

  public static final List<OptionKey<?>> KEYS = List.of(MAX_EVENT_BYTES, MAX_FUTURE_SKEW, MAX_EVENT_AGE);

  public static final ValidationLimits DEFAULTS = new ValidationLimits(
      MAX_EVENT_BYTES.defaultValue(), MAX_FUTURE_SKEW.defaultValue(), MAX_EVENT_AGE.defaultValue());

  public static ValidationLimits from(Settings s) {
    return new ValidationLimits(s.get(MAX_EVENT_BYTES), s.get(MAX_FUTURE_SKEW), s.get(MAX_EVENT_AGE));
  }
}
