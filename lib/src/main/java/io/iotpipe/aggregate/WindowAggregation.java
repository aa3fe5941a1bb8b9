package io.iotpipe.aggregate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.timestamp_micros;

import io.iotpipe.event.DeviceEvents;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.GroupState;
import org.apache.spark.sql.streaming.GroupStateTimeout;
import org.apache.spark.sql.streaming.OutputMode;

/**
 * Tumbling event-time windows per (tenant, device, metric): the one implementation used by the
 * streaming aggregates job ({@link #stream}) and by batch recomputations over the events table
 * ({@link #batch}). Output rows: {@link WindowOutput}; fleet rollups: {@link FleetRollup}.
 *
 * <p><b>Why not Spark's built-in windowed aggregation.</b> Spark drops rows behind the watermark
 * without a trace (it only counts them), and this suite must record every late event. The
 * windows are therefore kept in per-device state ({@code flatMapGroupsWithState}), where each
 * late event is seen and emitted, with Spark's own watermark (see {@link EventTimeWatermark}).
 * Windows close on event-time timeouts, so quiet devices' windows close too, all devices'
 * windows of the same end in the same micro-batch.
 */
public final class WindowAggregation {
  private static final String KEY = "_device_key";

  private WindowAggregation() {}

  /** Windows of a stream of valid events (columns tenant_id, device_id, event_id, event_time, metrics). */
  public static Dataset<Row> stream(Dataset<Row> events, AggregationSpec spec) {
    return DeviceEvents.byDevice(events, spec.allowedLateness())
        .flatMapGroupsWithState(new Streaming(spec), OutputMode.Append(), Encoders.BINARY(),
            Encoders.row(WindowOutput.SCHEMA), GroupStateTimeout.EventTimeTimeout());
  }

  /**
   * The same windows over a finite set of events, all closed at the end (no event is late). The
   * result equals the stream's final windows over the same events minus those the stream found
   * late.
   */
  public static Dataset<Row> batch(Dataset<Row> events, AggregationSpec spec) {
    return DeviceEvents.byDevice(events).flatMapGroups(new Batch(spec), Encoders.row(WindowOutput.SCHEMA));
  }

  /** The output with times as timestamps: window_start, window_end, first_time, last_time, event_time. */
  public static Dataset<Row> readable(Dataset<Row> output) {
    return output
        .withColumn("window_start", timestamp_micros(col("window_start_us")))
        .withColumn("window_end", timestamp_micros(col("window_start_us").plus(col("window_size_s").multiply(1_000_000L))))
        .withColumn("first_time", timestamp_micros(col("first_us")))
        .withColumn("last_time", timestamp_micros(col("last_us")))
        .withColumn("event_time", timestamp_micros(col("event_us")));
  }

  /** The streaming state function: one device, one micro-batch (or one timeout). */
  static final class Streaming implements FlatMapGroupsWithStateFunction<String, Row, byte[], Row> {
    private static final long serialVersionUID = 1L;
    private final DeviceWindowProcessor processor;
    private final long dedupWindowMs;

    Streaming(AggregationSpec spec) {
      this.processor = new DeviceWindowProcessor(spec);
      this.dedupWindowMs = spec.dedupWindow().toMillis();
    }

    @Override
    public Iterator<Row> call(String key, Iterator<Row> events, GroupState<byte[]> state) {
      DeviceWindowState st = state.exists() ? DeviceWindowState.fromBytes(state.get()) : new DeviceWindowState();
      long watermarkMs = state.getCurrentWatermarkMs();
      List<Row> out = new ArrayList<>();
      processor.process(events, st, watermarkMs, state.getCurrentProcessingTimeMs(), false, out);
      if (!st.open.isEmpty()) {
        state.update(st.toBytes());
        // Called again when the watermark reaches the earliest open window's end.
        state.setTimeoutTimestamp(st.open.firstKey().endMicros() / 1000L - 1);
      } else if (!st.seen.isEmpty() && !state.hasTimedOut()) {
        // No open window (all its events were late), but recent ids still guard against
        // duplicates until the watermark has moved on by the dedup window.
        state.update(st.toBytes());
        if (watermarkMs > 0) {
          state.setTimeoutTimestamp(watermarkMs + dedupWindowMs);
        }
      } else {
        state.remove();
      }
      return out.iterator();
    }
  }

  /** The batch function: one device, all its events. */
  static final class Batch implements FlatMapGroupsFunction<String, Row, Row> {
    private static final long serialVersionUID = 1L;
    private final DeviceWindowProcessor processor;

    Batch(AggregationSpec spec) {
      this.processor = new DeviceWindowProcessor(spec);
    }

    @Override
    public Iterator<Row> call(String key, Iterator<Row> events) {
      // In event-time order, so that the result does not depend on how Spark ordered the group.
      List<Row> sorted = new ArrayList<>();
      events.forEachRemaining(sorted::add);
      sorted.sort(java.util.Comparator.comparingLong((Row r) -> r.getLong(DeviceEvents.TIME_US))
          .thenComparing(r -> r.getString(DeviceEvents.EVENT_ID)));
      List<Row> out = new ArrayList<>();
      processor.process(sorted.iterator(), new DeviceWindowState(), Long.MIN_VALUE, 0L, true, out);
      out.removeIf(r -> WindowOutput.UPDATE.equals(r.getString(0)));
      return out.iterator();
    }
  }
}
