package io.iotpipe.event;

import io.iotpipe.spark.StateBytes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The events one dedup shard remembers: (tenant_id, event_id) with the job's event-time clock (the
 * newest event time seen) when its first record was read, stored as one state value per shard
 * (see {@link EventDedup}). Within its micro-batch a record's clock is not known yet (the batch's
 * own events move it), so a new event is stored unresolved and gets the clock of the next batch
 * that touches the shard: at least the clock after the batch that read it. Ids in canonical
 * UUID form are kept as 16 bytes, times as variable-length differences in time order, tenants
 * once per shard: about 19 bytes an event.
 */
final class DedupShard {
  private static final byte FORMAT = 1;

  /** An event's identity: the tenant and the id as {@link #key} gives it. */
  private record Id(String tenant, Object id) {}

  /** The clock of an event read in a micro-batch that has not been followed by another touch yet. */
  private static final long UNRESOLVED = Long.MIN_VALUE;

  private final Map<Id, Long> firstTimes = new HashMap<>();

  /** Records the event as read; false if it was read already. */
  boolean firstTime(String tenant, String eventId) {
    return firstTimes.putIfAbsent(new Id(tenant, key(eventId)), UNRESOLVED) == null;
  }

  /**
   * At event-time clock {@code clockMs}: gives the events read in earlier micro-batches this
   * clock, and forgets those read more than {@code horizonMs} of clock ago.
   */
  void advance(long clockMs, long horizonMs) {
    firstTimes.replaceAll((id, t) -> t == UNRESOLVED ? clockMs : t);
    firstTimes.values().removeIf(t -> t < clockMs - horizonMs);
  }

  boolean isEmpty() {
    return firstTimes.isEmpty();
  }

  int size() {
    return firstTimes.size();
  }

  byte[] toBytes() {
    List<Map.Entry<Id, Long>> entries = new ArrayList<>(firstTimes.entrySet());
    entries.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
    Map<String, Integer> tenants = new LinkedHashMap<>();
    for (Map.Entry<Id, Long> e : entries) {
      tenants.putIfAbsent(e.getKey().tenant(), tenants.size());
    }
    StateBytes.Writer out = new StateBytes.Writer(16 + 20 * entries.size());
    out.putByte(FORMAT);
    out.putVarLong(tenants.size());
    for (String t : tenants.keySet()) {
      out.putUtf(t);
    }
    out.putVarLong(entries.size());
    long previous = 0;
    for (Map.Entry<Id, Long> e : entries) {
      out.putVarLong(tenants.get(e.getKey().tenant()));
      out.putVarLong(zigZag(e.getValue() - previous));
      previous = e.getValue();
      if (e.getKey().id() instanceof UUID u) {
        out.putByte(1).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
      } else {
        out.putByte(0).putUtf((String) e.getKey().id());
      }
    }
    return out.toBytes();
  }

  static DedupShard fromBytes(byte[] b) {
    DedupShard s = new DedupShard();
    StateBytes.Reader in = new StateBytes.Reader(b);
    byte format = in.getByte();
    if (format != FORMAT) {
      throw new IllegalStateException("unknown dedup shard format " + format);
    }
    String[] tenants = new String[(int) in.getVarLong()];
    for (int i = 0; i < tenants.length; i++) {
      tenants[i] = in.getUtf();
    }
    long n = in.getVarLong();
    long time = 0;
    for (long i = 0; i < n; i++) {
      String tenant = tenants[(int) in.getVarLong()];
      time += unZigZag(in.getVarLong());
      byte kind = in.getByte();
      Object id = switch (kind) {
        case 1 -> new UUID(in.getLong(), in.getLong());
        case 0 -> in.getUtf();
        default -> throw new IllegalStateException("unknown dedup id kind " + kind);
      };
      s.firstTimes.put(new Id(tenant, id), time);
    }
    return s;
  }

  /**
   * The id as a {@link UUID} if it is one in canonical form (lower case, so that the UUID prints
   * as exactly this id again), else the id itself.
   */
  private static Object key(String id) {
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

  private static long zigZag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static long unZigZag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }
}
