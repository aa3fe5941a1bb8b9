package io.iotpipe.health;

import io.iotpipe.spark.StateBytes;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the health function remembers about one device: its status, its last event, the events
 * waiting for the watermark, the progress of each rule, the previous reading of each metric (for
 * rates). Stored as bytes ({@link StateBytes}) in a versioned format of our own (2: without the event ids that format 1
 * kept for its own deduplication; a checkpoint in format 1 is refused, with a message that says to
 * start a new one).
 */
final class DeviceHealthState {
  private static final byte FORMAT = 2;

  /** An event waiting for the watermark, ordered by event time then id. */
  record Pending(long tUs, String eventId) implements Comparable<Pending> {
    @Override
    public int compareTo(Pending o) {
      int c = Long.compare(tUs, o.tUs);
      return c != 0 ? c : eventId.compareTo(o.eventId);
    }
  }

  /** One rule's progress: its current streak of readings that satisfy it, and whether it fired. */
  static final class RuleState {
    long streakStartUs = Long.MIN_VALUE;
    int streak;
    boolean active;
    long raisedAtUs = Long.MIN_VALUE;
  }

  String tenantId;
  String deviceId;
  DeviceStatus status = DeviceStatus.UNKNOWN;
  long lastEventUs = Long.MIN_VALUE;
  /** Events at or before this were applied (or are late): the device's own watermark. */
  long appliedUpToUs = Long.MIN_VALUE;
  /** Processing time (ms) of the last call with data. */
  long lastSeenMs;
  final TreeMap<Pending, Map<String, Double>> pending = new TreeMap<>();
  final TreeMap<String, RuleState> rules = new TreeMap<>();
  /** Metric to {time_us, value} of its previous reading. */
  final TreeMap<String, double[]> previous = new TreeMap<>();

  RuleState rule(String name) {
    return rules.computeIfAbsent(name, k -> new RuleState());
  }

  byte[] toBytes() {
    StateBytes.Writer out = new StateBytes.Writer(256);
    out.putByte(FORMAT);
    out.putUtf(tenantId);
    out.putUtf(deviceId);
    out.putUtf(status.name());
    out.putLong(lastEventUs);
    out.putLong(appliedUpToUs);
    out.putLong(lastSeenMs);
    out.putInt(pending.size());
    for (Map.Entry<Pending, Map<String, Double>> e : pending.entrySet()) {
      out.putLong(e.getKey().tUs()).putUtf(e.getKey().eventId()).putDoubleMap(e.getValue());
    }
    out.putInt(rules.size());
    for (Map.Entry<String, RuleState> e : rules.entrySet()) {
      out.putUtf(e.getKey());
      out.putLong(e.getValue().streakStartUs);
      out.putInt(e.getValue().streak);
      out.putBoolean(e.getValue().active);
      out.putLong(e.getValue().raisedAtUs);
    }
    out.putInt(previous.size());
    for (Map.Entry<String, double[]> e : previous.entrySet()) {
      out.putUtf(e.getKey()).putDouble(e.getValue()[0]).putDouble(e.getValue()[1]);
    }
    return out.toBytes();
  }

  static DeviceHealthState fromBytes(byte[] b) {
    DeviceHealthState s = new DeviceHealthState();
    StateBytes.Reader in = new StateBytes.Reader(b);
    byte format = in.getByte();
    if (format != FORMAT) {
      throw new IllegalStateException("device health state format " + format + " is not " + FORMAT
          + (format == 1 ? " (written before the shared deduplication): start the job on a new checkpoint" : ""));
    }
    s.tenantId = in.getUtf();
    s.deviceId = in.getUtf();
    s.status = DeviceStatus.valueOf(in.getUtf());
    s.lastEventUs = in.getLong();
    s.appliedUpToUs = in.getLong();
    s.lastSeenMs = in.getLong();
    int pending = in.getInt();
    for (int i = 0; i < pending; i++) {
      s.pending.put(new Pending(in.getLong(), in.getUtf()), in.getDoubleMap());
    }
    int rules = in.getInt();
    for (int i = 0; i < rules; i++) {
      RuleState r = new RuleState();
      String name = in.getUtf();
      r.streakStartUs = in.getLong();
      r.streak = in.getInt();
      r.active = in.getBoolean();
      r.raisedAtUs = in.getLong();
      s.rules.put(name, r);
    }
    int prev = in.getInt();
    for (int i = 0; i < prev; i++) {
      s.previous.put(in.getUtf(), new double[] {in.getDouble(), in.getDouble()});
    }
    return s;
  }
}
