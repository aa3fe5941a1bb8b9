package io.iotpipe.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iotpipe.event.EventFields;
import io.iotpipe.event.QuarantineReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * The kinds of broken records the simulator sends, each made from a valid event, with the
 * quarantine reason the parser must give it.
 */
public enum MalformedKind {
  NOT_JSON(QuarantineReason.NOT_JSON),
  TRUNCATED_JSON(QuarantineReason.MALFORMED_JSON),
  WRONG_TYPE(QuarantineReason.WRONG_TYPE),
  MISSING_FIELD(QuarantineReason.MISSING_FIELD),
  UNKNOWN_SCHEMA_VERSION(QuarantineReason.UNSUPPORTED_SCHEMA_VERSION),
  NON_FINITE_METRIC(QuarantineReason.NON_FINITE_METRIC),
  FAR_FUTURE_TIME(QuarantineReason.EVENT_TIME_IN_FUTURE),
  FAR_PAST_TIME(QuarantineReason.EVENT_TIME_TOO_OLD),
  OVERSIZED_PAYLOAD(QuarantineReason.OVERSIZED_PAYLOAD);

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Larger than the default validation.max-event-bytes (64 KiB), well under Kafka's 1 MB. */
  static final int OVERSIZED_BYTES = 100_000;

  private final QuarantineReason expectedReason;

  MalformedKind(QuarantineReason expectedReason) {
    this.expectedReason = expectedReason;
  }

  public QuarantineReason expectedReason() {
    return expectedReason;
  }

  /** The broken form of {@code validJson}, an event sent at {@code arrival}. */
  public byte[] corrupt(byte[] validJson, Instant arrival) {
    String text = new String(validJson, StandardCharsets.UTF_8);
    return switch (this) {
      case NOT_JSON -> ("telemetry " + text.hashCode() + " temperature=21.5 status=ok")
          .getBytes(StandardCharsets.UTF_8);
      case TRUNCATED_JSON -> Arrays.copyOf(validJson, validJson.length / 2);
      case WRONG_TYPE -> edit(validJson, o -> {
        ObjectNode metrics = (ObjectNode) o.get(EventFields.METRICS);
        metrics.put(metrics.fieldNames().next(), "n/a");
      });
      case MISSING_FIELD -> edit(validJson, o -> o.remove(EventFields.DEVICE_ID));
      case UNKNOWN_SCHEMA_VERSION -> edit(validJson, o -> o.put(EventFields.SCHEMA_VERSION, 99));
      // Jackson writes NaN as the bare token NaN, which many device JSON encoders emit too.
      case NON_FINITE_METRIC -> edit(validJson, o -> {
        ObjectNode metrics = (ObjectNode) o.get(EventFields.METRICS);
        metrics.put(metrics.fieldNames().next(), Double.NaN);
      });
      case FAR_FUTURE_TIME -> edit(validJson,
          o -> o.put(EventFields.EVENT_TIME, arrival.plus(Duration.ofDays(3650)).toString()));
      case FAR_PAST_TIME -> edit(validJson,
          o -> o.put(EventFields.EVENT_TIME, arrival.minus(Duration.ofDays(3650)).toEpochMilli()));
      case OVERSIZED_PAYLOAD -> edit(validJson,
          o -> o.putObject(EventFields.ATTRIBUTES).put("debug_dump", "x".repeat(OVERSIZED_BYTES)));
    };
  }

  private static byte[] edit(byte[] json, java.util.function.Consumer<ObjectNode> change) {
    try {
      ObjectNode o = (ObjectNode) JSON.readTree(json);
      change.accept(o);
      return JSON.writer()
          .without(com.fasterxml.jackson.core.json.JsonWriteFeature.WRITE_NAN_AS_STRINGS)
          .writeValueAsBytes(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
