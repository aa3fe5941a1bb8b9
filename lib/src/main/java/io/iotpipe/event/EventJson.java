package io.iotpipe.event;

import static io.iotpipe.event.EventFields.ATTRIBUTES;
import static io.iotpipe.event.EventFields.DEVICE_ID;
import static io.iotpipe.event.EventFields.EVENT_ID;
import static io.iotpipe.event.EventFields.EVENT_TIME;
import static io.iotpipe.event.EventFields.METRICS;
import static io.iotpipe.event.EventFields.SCHEMA_VERSION;
import static io.iotpipe.event.EventFields.TENANT_ID;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/** Writes {@link TelemetryEvent}s in the JSON wire format that devices send (schema version 1). */
public final class EventJson {
  /** The two ways the wire format allows to write {@code event_time}. */
  public enum TimeFormat {
    /** An ISO-8601 string with an offset, e.g. {@code 2026-11-29T10:15:30.250+01:00}. */
    ISO_OFFSET,
    /** A JSON number of milliseconds since the epoch. */
    EPOCH_MILLIS
  }

  private static final JsonFactory JSON = new JsonFactory();

  private EventJson() {}

  /**
   * The event as UTF-8 JSON. {@code offset} is the zone offset an ISO time is written with (the
   * instant is the same whatever the offset).
   */
  public static byte[] toJson(TelemetryEvent e, TimeFormat format, ZoneOffset offset) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField(SCHEMA_VERSION, e.schemaVersion());
      g.writeStringField(TENANT_ID, e.tenantId());
      g.writeStringField(DEVICE_ID, e.deviceId());
      g.writeStringField(EVENT_ID, e.eventId());
      if (format == TimeFormat.EPOCH_MILLIS) {
        g.writeNumberField(EVENT_TIME, e.eventTime().toEpochMilli());
      } else {
        g.writeStringField(EVENT_TIME,
            DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(e.eventTime().atOffset(offset)));
      }
      g.writeObjectFieldStart(METRICS);
      for (Map.Entry<String, Double> m : e.metrics().entrySet()) {
        g.writeNumberField(m.getKey(), m.getValue());
      }
      g.writeEndObject();
      if (!e.attributes().isEmpty()) {
        g.writeObjectFieldStart(ATTRIBUTES);
        for (Map.Entry<String, String> a : e.attributes().entrySet()) {
          g.writeStringField(a.getKey(), a.getValue());
        }
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return out.toByteArray();
  }
}
