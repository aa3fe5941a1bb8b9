package io.iotpipe.health;

import io.iotpipe.event.DeviceEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.GroupState;
import org.apache.spark.sql.streaming.GroupStateTimeout;
import org.apache.spark.sql.streaming.OutputMode;

/**
 * Device health over a stream of valid events: per (tenant, device) state machine
 * ({@link DeviceStatus}) with declarative rules ({@link HealthRules}); output rows
 * {@link HealthOutput}.
 *
 * <p><b>Quiet streams.</b> Spark calls a stateful function only inside a micro-batch, and with
 * event-time timeouts only when the watermark moves, which it does not while the topic is silent.
 * A silent device must still go OFFLINE, so the timeouts here are processing-time timeouts: with
 * them Spark runs a micro-batch at every trigger interval even without new data, and a device
 * silent for its inactivity timeout is declared OFFLINE within that timeout plus one trigger
 * interval. The event-time watermark (see {@link io.iotpipe.spark.EventTimeWatermark}) orders the
 * readings; a gap in event time larger than the timeout, or a device left that far behind the
 * watermark, also makes the device OFFLINE, at its last event plus the timeout, so that a replay
 * gives the same transitions as the live run.
 */
public final class DeviceHealth {
  private DeviceHealth() {}

  /** Health output of a stream of valid, deduplicated events ({@link io.iotpipe.event.EventDedup#distinctValidEvents}). */
  public static Dataset<Row> stream(Dataset<Row> events, HealthRules rules, Duration allowedLateness) {
    return DeviceEvents.byDevice(events, allowedLateness)
        .flatMapGroupsWithState(new Streaming(rules, allowedLateness), OutputMode.Append(),
            Encoders.BINARY(), Encoders.row(HealthOutput.SCHEMA), GroupStateTimeout.ProcessingTimeTimeout());
  }

  static final class Streaming implements FlatMapGroupsWithStateFunction<String, Row, byte[], Row> {
    private static final long serialVersionUID = 1L;
    private final HealthRules rules;
    private final DeviceHealthProcessor processor;
    private final long latenessMs;

    Streaming(HealthRules rules, Duration allowedLateness) {
      this.rules = rules;
      this.processor = new DeviceHealthProcessor(rules);
      this.latenessMs = Math.max(1000, allowedLateness.toMillis());
    }

    @Override
    public Iterator<Row> call(String key, Iterator<Row> events, GroupState<byte[]> state) {
      DeviceHealthState st = state.exists() ? DeviceHealthState.fromBytes(state.get()) : new DeviceHealthState();
      long now = state.getCurrentProcessingTimeMs();
      long watermarkMs = state.getCurrentWatermarkMs();
      List<Row> out = new ArrayList<>();
      processor.accept(events, st, watermarkMs, now, out);
      processor.applyDue(st, watermarkMs, out);
      long inactivityMs = processor.inactivity(st).toMillis();
      long silentMs = now - st.lastSeenMs;
      // Silent in processing time (nothing arrived for the timeout), or in event time (the rest of
      // the fleet moved on by more than the timeout: a replay, or the end of a backlog).
      long newestUs = st.pending.isEmpty() ? st.lastEventUs : Math.max(st.lastEventUs, st.pending.lastKey().tUs());
      boolean silentInEventTime = newestUs != Long.MIN_VALUE && watermarkMs * 1000L - newestUs > inactivityMs * 1000L;
      if (st.status != DeviceStatus.OFFLINE && (silentMs >= inactivityMs || silentInEventTime)) {
        processor.silent(st, out);
      }
      if (st.status == DeviceStatus.OFFLINE && st.pending.isEmpty()
          && silentMs >= rules.retention().toMillis()) {
        state.remove(); // idle past the retention: forget it (its next event makes it ONLINE again)
        return out.iterator();
      }
      state.update(st.toBytes());
      long next;
      if (st.status == DeviceStatus.OFFLINE) {
        next = rules.retention().toMillis() - silentMs;
      } else if (!st.pending.isEmpty()) {
        // Readings wait for the watermark, which the fleet's events move. A device that sends is
        // called with its events anyway; one that stopped is looked at again when the watermark
        // should have passed its first waiting reading (event time runs with the clock when live),
        // or after the allowed lateness when that time has passed (a replay, a quiet topic), and
        // never later than its inactivity timeout: not in every micro-batch.
        long dueMs = st.pending.firstKey().tUs() / 1000L + latenessMs - now;
        next = Math.min(inactivityMs - silentMs, dueMs > 0 ? dueMs : latenessMs);
      } else {
        // Look again after about the allowed lateness: the fleet's event time may have left this
        // device behind by then.
        next = Math.min(latenessMs, inactivityMs - silentMs);
      }
      state.setTimeoutDuration(Math.max(1, next));
      return out.iterator();
    }
  }
}
