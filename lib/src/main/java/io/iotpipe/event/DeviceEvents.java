package io.iotpipe.event;

import static io.iotpipe.event.EventFields.DEVICE_ID;
import static io.iotpipe.event.EventFields.EVENT_ID;
import static io.iotpipe.event.EventFields.EVENT_TIME;
import static io.iotpipe.event.EventFields.METRICS;
import static io.iotpipe.event.EventFields.TENANT_ID;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.unix_micros;

import io.iotpipe.spark.EventTimeWatermark;
import java.time.Duration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.KeyValueGroupedDataset;
import org.apache.spark.sql.Row;

/**
 * Valid events grouped by device, as the per-device stateful functions (windows, features,
 * health) take them. The rows reach those functions without a schema, so they read columns by
 * the positions defined here.
 */
public final class DeviceEvents {
  private DeviceEvents() {}

  public static final int TENANT = 1;
  public static final int DEVICE = 2;
  public static final int EVENT_ID = 3;
  /** Event time in epoch microseconds. */
  public static final int TIME_US = 4;
  public static final int METRICS = 6;

  private static final String KEY = "_device_key";

  /** Events (tenant_id, device_id, event_id, event_time, metrics) grouped by (tenant, device). */
  public static KeyValueGroupedDataset<String, Row> byDevice(Dataset<Row> events) {
    Dataset<Row> in = keyed(events);
    return in.groupBy(KEY).as(Encoders.STRING(), Encoders.row(in.schema()));
  }

  /** The same for a stream, with the event-time watermark of {@link EventTimeWatermark}. */
  public static KeyValueGroupedDataset<String, Row> byDevice(Dataset<Row> events, Duration allowedLateness) {
    Dataset<Row> in = EventTimeWatermark.on(keyed(events), EVENT_TIME, allowedLateness);
    return in.groupBy(KEY).as(Encoders.STRING(), Encoders.row(in.schema()));
  }

  private static Dataset<Row> keyed(Dataset<Row> events) {
    // Length-prefixed, so that no two (tenant, device) pairs share a key.
    return events.select(
        concat(length(col(TENANT_ID)).cast("string"), lit(":"), col(TENANT_ID), col(DEVICE_ID)).as(KEY),
        col(TENANT_ID), col(DEVICE_ID), col(EventFields.EVENT_ID), unix_micros(col(EVENT_TIME)).as("t_us"),
        col(EVENT_TIME), col(EventFields.METRICS));
  }
}
