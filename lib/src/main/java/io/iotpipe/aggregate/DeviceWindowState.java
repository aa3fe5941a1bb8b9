package io.iotpipe.aggregate;

import io.iotpipe.event.RecentIds;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the aggregation remembers about one device between micro-batches: its open windows and
 * the event ids it saw recently (for deduplication). Stored as bytes in a versioned format of
 * our own, so that the checkpointed state survives changes to these classes.
 */
final class DeviceWindowState {
  private static final byte FORMAT = 1;

  /** An open window of one metric. Ordered by end time, so that the earliest to close comes first. */
  record WindowId(long endMicros, long sizeMicros, String metric) implements Comparable<WindowId> {
    long startMicros() {
      return endMicros - sizeMicros;
    }

    @Override
    public int compareTo(WindowId o) {
      int c = Long.compare(endMicros, o.endMicros);
      if (c == 0) {
        c = Long.compare(sizeMicros, o.sizeMicros);
      }
      return c != 0 ? c : metric.compareTo(o.metric);
    }
  }

  String tenantId;
  String deviceId;
  final TreeMap<WindowId, WindowAccumulator> open = new TreeMap<>();
  RecentIds seen = new RecentIds();

  byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(tenantId);
      out.writeUTF(deviceId);
      out.writeInt(open.size());
      for (Map.Entry<WindowId, WindowAccumulator> e : open.entrySet()) {
        out.writeLong(e.getKey().endMicros());
        out.writeLong(e.getKey().sizeMicros());
        out.writeUTF(e.getKey().metric());
        e.getValue().write(out);
      }
      seen.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static DeviceWindowState fromBytes(byte[] b) {
    DeviceWindowState s = new DeviceWindowState();
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IOException("unknown device window state format " + format);
      }
      s.tenantId = in.readUTF();
      s.deviceId = in.readUTF();
      int windows = in.readInt();
      for (int i = 0; i < windows; i++) {
        WindowId id = new WindowId(in.readLong(), in.readLong(), in.readUTF());
        s.open.put(id, WindowAccumulator.read(in));
      }
      s.seen = RecentIds.read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s;
  }
}
