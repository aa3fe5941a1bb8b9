package io.iotpipe.health;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the health function remembers about one device: its status, its last event, the events
 * waiting for the watermark, the progress of each rule, the previous reading of each metric (for
 * rates). Stored as bytes in a versioned format of our own (2: without the event ids that format 1
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
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(tenantId);
      out.writeUTF(deviceId);
      out.writeUTF(status.name());
      out.writeLong(lastEventUs);
      out.writeLong(appliedUpToUs);
      out.writeLong(lastSeenMs);
      out.writeInt(pending.size());
      for (Map.Entry<Pending, Map<String, Double>> e : pending.entrySet()) {
        out.writeLong(e.getKey().tUs());
        out.writeUTF(e.getKey().eventId());
        out.writeInt(e.getValue().size());
        for (Map.Entry<String, Double> v : e.getValue().entrySet()) {
          out.writeUTF(v.getKey());
          out.writeDouble(v.getValue());
        }
      }
      out.writeInt(rules.size());
      for (Map.Entry<String, RuleState> e : rules.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeLong(e.getValue().streakStartUs);
        out.writeInt(e.getValue().streak);
        out.writeBoolean(e.getValue().active);
        out.writeLong(e.getValue().raisedAtUs);
      }
      out.writeInt(previous.size());
      for (Map.Entry<String, double[]> e : previous.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeDouble(e.getValue()[0]);
        out.writeDouble(e.getValue()[1]);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static DeviceHealthState fromBytes(byte[] b) {
    DeviceHealthState s = new DeviceHealthState();
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IOException("device health state format " + format + " is not " + FORMAT
            + (format == 1 ? " (written before the shared deduplication): start the job on a new checkpoint" : ""));
      }
      s.tenantId = in.readUTF();
      s.deviceId = in.readUTF();
      s.status = DeviceStatus.valueOf(in.readUTF());
      s.lastEventUs = in.readLong();
      s.appliedUpToUs = in.readLong();
      s.lastSeenMs = in.readLong();
      int pending = in.readInt();
      for (int i = 0; i < pending; i++) {
        Pending p = new Pending(in.readLong(), in.readUTF());
        Map<String, Double> values = new TreeMap<>();
        int n = in.readInt();
        for (int j = 0; j < n; j++) {
          values.put(in.readUTF(), in.readDouble());
        }
        s.pending.put(p, values);
      }
      int rules = in.readInt();
      for (int i = 0; i < rules; i++) {
        RuleState r = new RuleState();
        String name = in.readUTF();
        r.streakStartUs = in.readLong();
        r.streak = in.readInt();
        r.active = in.readBoolean();
        r.raisedAtUs = in.readLong();
        s.rules.put(name, r);
      }
      int prev = in.readInt();
      for (int i = 0; i < prev; i++) {
        s.previous.put(in.readUTF(), new double[] {in.readDouble(), in.readDouble()});
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s;
  }
}
