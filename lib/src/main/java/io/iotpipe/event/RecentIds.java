package io.iotpipe.event;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The event ids one device sent recently, with the processing time each was first seen: the
 * memory of per-device deduplication in the stateful jobs ("seen less than the dedup window
 * ago"), as in ingest.
 */
public final class RecentIds {
  private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();

  /** Records {@code id} as seen at {@code nowMs}; false if it was seen already (a duplicate). */
  public boolean firstTime(String id, long nowMs) {
    return seen.putIfAbsent(id, nowMs) == null;
  }

  /** Forgets ids first seen before {@code cutoffMs} (they are stored oldest first). */
  public void expire(long cutoffMs) {
    Iterator<Map.Entry<String, Long>> it = seen.entrySet().iterator();
    while (it.hasNext() && it.next().getValue() < cutoffMs) {
      it.remove();
    }
  }

  public boolean isEmpty() {
    return seen.isEmpty();
  }

  public void write(DataOutputStream out) throws IOException {
    out.writeInt(seen.size());
    for (Map.Entry<String, Long> e : seen.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeLong(e.getValue());
    }
  }

  public static RecentIds read(DataInputStream in) throws IOException {
    RecentIds r = new RecentIds();
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      r.seen.put(in.readUTF(), in.readLong());
    }
    return r;
  }
}
