package io.iotpipe.event;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One telemetry event as every job sees it after parsing: the Java twin of the canonical Spark
 * columns in {@link EventSchema#CANONICAL}. Devices send it as JSON ({@link EventJson}).
 *
 * @param metrics metric name to value; a device may omit metrics it could not read
 * @param attributes optional free-form string attributes (firmware, location, ...), never null
 */
public record TelemetryEvent(
    String tenantId,
    String deviceId,
    String eventId,
    Instant eventTime,
    int schemaVersion,
    Map<String, Double> metrics,
    Map<String, String> attributes) {

  public TelemetryEvent {
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(eventTime, "eventTime");
    metrics = Map.copyOf(metrics);
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
  }
}
