package io.iotpipe.event;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The event ids one device sent recently, with the processing time each was first seen: the
 * memory of per-device deduplication in the stateful jobs ("seen less than the dedup window
 * ago"), as in ingest.
 *
 * <p>This is most of a device's state (a 10-minute window of ids at one event a second is 600
 * ids), and a stateful job rewrites the whole state of every device that sent in a micro-batch. So
 * ids in the canonical UUID form (what the simulator and most devices send) are kept as their 16
 * bytes rather than as 36 characters, and the times as variable-length differences: 18 bytes an
 * id instead of 46.
 */
public final class RecentIds {
  /** Marks the compact format; the first format began with the (non-negative) number of ids. */
  private static final int COMPACT = -1;
  private static final byte STRING = 0;
  private static final byte UUID_BYTES = 1;

  /** Keys: a {@link UUID} for ids in canonical UUID form, else the id itself. Oldest first. */
  private final LinkedHashMap<Object, Long> seen = new LinkedHashMap<>();

  /** Records {@code id} as seen at {@code nowMs}; false if it was seen already (a duplicate). */
  public boolean firstTime(String id, long nowMs) {
    return seen.putIfAbsent(key(id), nowMs) == null;
  }

  /** Forgets ids first seen before {@code cutoffMs} (they are stored oldest first). */
  public void expire(long cutoffMs) {
    Iterator<Map.Entry<Object, Long>> it = seen.entrySet().iterator();
    while (it.hasNext() && it.next().getValue() < cutoffMs) {
      it.remove();
    }
  }

  public boolean isEmpty() {
    return seen.isEmpty();
  }

  public int size() {
    return seen.size();
  }

  public void write(DataOutputStream out) throws IOException {
    out.writeInt(COMPACT);
    out.writeInt(seen.size());
    long previous = 0;
    for (Map.Entry<Object, Long> e : seen.entrySet()) {
      writeVarLong(out, zigZag(e.getValue() - previous));
      previous = e.getValue();
      if (e.getKey() instanceof UUID u) {
        out.writeByte(UUID_BYTES);
        out.writeLong(u.getMostSignificantBits());
        out.writeLong(u.getLeastSignificantBits());
      } else {
        out.writeByte(STRING);
        out.writeUTF((String) e.getKey());
      }
    }
  }

  public static RecentIds read(DataInputStream in) throws IOException {
    RecentIds r = new RecentIds();
    int first = in.readInt();
    if (first >= 0) { // the first format: id, time, as many as the first int says
      for (int i = 0; i < first; i++) {
        r.seen.put(key(in.readUTF()), in.readLong());
      }
      return r;
    }
    if (first != COMPACT) {
      throw new IOException("unknown recent ids format " + first);
    }
    int n = in.readInt();
    long time = 0;
    for (int i = 0; i < n; i++) {
      time += unZigZag(readVarLong(in));
      byte kind = in.readByte();
      Object key = switch (kind) {
        case UUID_BYTES -> new UUID(in.readLong(), in.readLong());
        case STRING -> in.readUTF();
        default -> throw new IOException("unknown recent id kind " + kind);
      };
      r.seen.put(key, time);
    }
    return r;
  }

  /**
   * The id as a {@link UUID} if it is one in canonical form (lower case, so that the UUID prints
   * as exactly this id again), else the id itself.
   */
  static Object key(String id) {
    if (id.length() != 36 || id.charAt(8) != '-' || id.charAt(13) != '-' || id.charAt(18) != '-'
        || id.charAt(23) != '-') {
      return id;
    }
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 36; i++) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        continue;
      }
      char c = id.charAt(i);
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (digit < 0) {
        return id;
      }
      if (i < 19) {
        hi = hi << 4 | digit;
      } else {
        lo = lo << 4 | digit;
      }
    }
    return new UUID(hi, lo);
  }

  static long zigZag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  static long unZigZag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  static void writeVarLong(DataOutputStream out, long v) throws IOException {
    while ((v & ~0x7FL) != 0) {
      out.writeByte((int) (v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  static long readVarLong(DataInputStream in) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.readByte();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IOException("malformed variable-length number in recent ids");
  }
}
