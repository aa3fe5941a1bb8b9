package io.iotpipe.features;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the feature computation remembers about one device: events waiting for the watermark,
 * its recent history per horizon and its previous event time. Stored as bytes in a versioned
 * format of our own (2: without the event ids that format 1 kept for its own deduplication; a
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
    spec.horizons().forEach(h -> horizons.add(new HorizonBuckets(h.toMillis() * 1000L / FeatureSpec.BUCKETS_PER_HORIZON)));
  }

  boolean hasHistory() {
    return horizons.stream().anyMatch(h -> !h.isEmpty());
  }

  byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(tenantId);
      out.writeUTF(deviceId);
      out.writeLong(prevMicros);
      out.writeInt(pending.size());
      for (Map.Entry<Pending, Map<String, Double>> e : pending.entrySet()) {
        out.writeLong(e.getKey().tMicros());
        out.writeUTF(e.getKey().eventId());
        out.writeInt(e.getValue().size());
        for (Map.Entry<String, Double> v : e.getValue().entrySet()) {
          out.writeUTF(v.getKey());
          out.writeDouble(v.getValue());
        }
      }
      for (HorizonBuckets h : horizons) {
        h.write(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static DeviceFeatureState fromBytes(byte[] b, FeatureSpec spec) {
    DeviceFeatureState s = new DeviceFeatureState(spec);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IOException("device feature state format " + format + " is not " + FORMAT
            + (format == 1 ? " (written before the shared deduplication): start the job on a new checkpoint" : ""));
      }
      s.tenantId = in.readUTF();
      s.deviceId = in.readUTF();
      s.prevMicros = in.readLong();
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
      for (int i = 0; i < s.horizons.size(); i++) {
        s.horizons.set(i, HorizonBuckets.read(in, s.horizons.get(i).widthMicros));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s;
  }
}
