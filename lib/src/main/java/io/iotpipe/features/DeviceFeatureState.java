package io.iotpipe.features;

import io.iotpipe.spark.StateBytes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the feature computation remembers about one device: events waiting for the watermark,
 * its recent history per horizon and its previous event time. Stored as bytes
 * ({@link StateBytes}) in a versioned format of our own (2: without the event ids that format 1 kept for its own deduplication; a
 * checkpoint in format 1 is refused, with a message that says to start a new one).
 */
final class DeviceFeatureState {
  private static final byte FORMAT = 2;

  /** An event waiting for the watermark, ordered by event time then id. */
  record Pending(long tMicros, String eventId) implements Comparable<Pending> {
    @Override
    public int compareTo(Pending o) {
      int c = Long.compare(tMicros, o.tMicros);
      return c != 0 ? c : eventId.compareTo(o.eventId);
    }
  }

  String tenantId;
  String deviceId;
  long prevMicros = Long.MIN_VALUE;
  final TreeMap<Pending, Map<String, Double>> pending = new TreeMap<>();
  final List<HorizonBuckets> horizons = new ArrayList<>();

  DeviceFeatureState(FeatureSpec spec) {
    spec.horizons().forEach(h -> horizons.add(new HorizonBuckets(widthMicros(h), spec.metrics())));
  }

  private static long widthMicros(java.time.Duration horizon) {
    return horizon.toMillis() * 1000L / FeatureSpec.BUCKETS_PER_HORIZON;
  }

  boolean hasHistory() {
    return horizons.stream().anyMatch(h -> !h.isEmpty());
  }

  byte[] toBytes() {
    StateBytes.Writer out = new StateBytes.Writer(1024);
    out.putByte(FORMAT);
    out.putUtf(tenantId);
    out.putUtf(deviceId);
    out.putLong(prevMicros);
    out.putInt(pending.size());
    for (Map.Entry<Pending, Map<String, Double>> e : pending.entrySet()) {
      out.putLong(e.getKey().tMicros()).putUtf(e.getKey().eventId()).putDoubleMap(e.getValue());
    }
    for (HorizonBuckets h : horizons) {
      h.write(out);
    }
    return out.toBytes();
  }

  static DeviceFeatureState fromBytes(byte[] b, FeatureSpec spec) {
    DeviceFeatureState s = new DeviceFeatureState(spec);
    StateBytes.Reader in = new StateBytes.Reader(b);
    byte format = in.getByte();
    if (format != FORMAT) {
      throw new IllegalStateException("device feature state format " + format + " is not " + FORMAT
          + (format == 1 ? " (written before the shared deduplication): start the job on a new checkpoint" : ""));
    }
    s.tenantId = in.getUtf();
    s.deviceId = in.getUtf();
    s.prevMicros = in.getLong();
    int pending = in.getInt();
    for (int i = 0; i < pending; i++) {
      s.pending.put(new Pending(in.getLong(), in.getUtf()), in.getDoubleMap());
    }
    for (int i = 0; i < s.horizons.size(); i++) {
      s.horizons.set(i, HorizonBuckets.read(in, s.horizons.get(i).widthMicros, spec.metrics()));
    }
    return s;
  }
}
