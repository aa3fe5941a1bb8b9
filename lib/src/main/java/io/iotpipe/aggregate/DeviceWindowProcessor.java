package io.iotpipe.aggregate;

import io.iotpipe.event.DeviceEvents;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * The per-device window computation, the same for the stream and for a batch: deduplicates
 * events, sorts each metric value into its window of every size, records late events, and
 * closes the windows the watermark has passed.
 */
final class DeviceWindowProcessor implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long[] sizesMicros;
  private final long dedupWindowMs;

  DeviceWindowProcessor(AggregationSpec spec) {
    this.sizesMicros = spec.sizesMicros();
    this.dedupWindowMs = spec.dedupWindow().toMillis();
  }

  /**
   * @param events rows of {@link DeviceEvents#byDevice}
   * @param watermarkMs windows ending at or before this are final and late for new events;
   *     Long.MIN_VALUE when there is none (a batch computation)
   * @param nowMs processing time, for the deduplication window
   * @param closeAll close every window at the end (a batch computation sees all events at once)
   */
  void process(Iterator<Row> events, DeviceWindowState st, long watermarkMs, long nowMs, boolean closeAll,
      List<Row> out) {
    st.seen.expire(nowMs - dedupWindowMs);
    long watermarkMicros = watermarkMs == Long.MIN_VALUE ? Long.MIN_VALUE : watermarkMs * 1000L;
    Map<DeviceWindowState.WindowId, WindowAccumulator> added = new HashMap<>();
    while (events.hasNext()) {
      Row r = events.next();
      if (st.tenantId == null) {
        st.tenantId = r.getString(DeviceEvents.TENANT);
        st.deviceId = r.getString(DeviceEvents.DEVICE);
      }
      String eventId = r.getString(DeviceEvents.EVENT_ID);
      long t = r.getLong(DeviceEvents.TIME_US);
      if (!st.seen.firstTime(eventId, nowMs)) {
        out.add(WindowOutput.duplicate(st.tenantId, st.deviceId, eventId, t));
        continue;
      }
      Map<String, Double> metrics = r.getJavaMap(DeviceEvents.METRICS);
      for (long size : sizesMicros) {
        long start = Math.floorDiv(t, size) * size;
        long end = start + size;
        for (Map.Entry<String, Double> m : metrics.entrySet()) {
          if (end <= watermarkMicros) {
            out.add(WindowOutput.late(st.tenantId, st.deviceId, m.getKey(), size, start, eventId, t,
                m.getValue(), watermarkMs));
            continue;
          }
          DeviceWindowState.WindowId id = new DeviceWindowState.WindowId(end, size, m.getKey());
          st.open.computeIfAbsent(id, k -> new WindowAccumulator()).add(t, eventId, m.getValue());
          added.computeIfAbsent(id, k -> new WindowAccumulator()).add(t, eventId, m.getValue());
        }
      }
    }
    // Final windows first: a window closed in this call is emitted once, as FINAL.
    Iterator<Map.Entry<DeviceWindowState.WindowId, WindowAccumulator>> it = st.open.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<DeviceWindowState.WindowId, WindowAccumulator> e = it.next();
      DeviceWindowState.WindowId id = e.getKey();
      if (!closeAll && id.endMicros() > watermarkMicros) {
        break; // ordered by end time: the rest are open too
      }
      WindowAccumulator acc = e.getValue();
      out.add(WindowOutput.window(WindowOutput.FINAL, st.tenantId, st.deviceId, id.metric(), id.sizeMicros(),
          id.startMicros(), acc, acc.toBytes()));
      added.remove(id);
      it.remove();
    }
    for (Map.Entry<DeviceWindowState.WindowId, WindowAccumulator> e : added.entrySet()) {
      DeviceWindowState.WindowId id = e.getKey();
      out.add(WindowOutput.window(WindowOutput.UPDATE, st.tenantId, st.deviceId, id.metric(), id.sizeMicros(),
          id.startMicros(), st.open.get(id), e.getValue().toBytes()));
    }
  }
}
