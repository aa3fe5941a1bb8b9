package io.iotpipe.spark;

import java.io.UncheckedIOException;
import java.io.UTFDataFormatException;
import java.util.Arrays;

/**
 * The byte form of the state values the suite's stateful functions keep: the same bytes as
 * {@link java.io.DataOutputStream} writes (big-endian numbers, strings in its modified UTF-8 with a
 * two-byte length), so that state written by either reads with either, but into and out of a
 * plain array. A state value is read and rewritten every micro-batch that touches its key, and
 * the streams' synchronized byte-at-a-time path was a third of the features function's time.
 */
public final class StateBytes {
  private StateBytes() {}

  /** Appends to a growing array. */
  public static final class Writer {
    private byte[] b;
    private int n;

    public Writer(int initialCapacity) {
      b = new byte[Math.max(16, initialCapacity)];
    }

    private void room(int more) {
      if (n + more > b.length) {
        b = Arrays.copyOf(b, Math.max(b.length * 2, n + more));
      }
    }

    public Writer putByte(int v) {
      room(1);
      b[n++] = (byte) v;
      return this;
    }

    public Writer putBoolean(boolean v) {
      return putByte(v ? 1 : 0);
    }

    public Writer putInt(int v) {
      room(4);
      b[n++] = (byte) (v >>> 24);
      b[n++] = (byte) (v >>> 16);
      b[n++] = (byte) (v >>> 8);
      b[n++] = (byte) v;
      return this;
    }

    public Writer putLong(long v) {
      room(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        b[n++] = (byte) (v >>> shift);
      }
      return this;
    }

    public Writer putDouble(double v) {
      return putLong(Double.doubleToLongBits(v));
    }

    /** As {@link java.io.DataOutputStream#writeUTF}: at most 65,535 bytes encoded. */
    public Writer putUtf(String s) {
      int len = s.length();
      int bytes = 0;
      for (int i = 0; i < len; i++) {
        char c = s.charAt(i);
        bytes += c >= 1 && c <= 0x7F ? 1 : c <= 0x7FF ? 2 : 3;
      }
      if (bytes > 65_535) {
        throw new UncheckedIOException(new UTFDataFormatException("string of " + bytes + " bytes in a state value"));
      }
      room(2 + bytes);
      b[n++] = (byte) (bytes >>> 8);
      b[n++] = (byte) bytes;
      for (int i = 0; i < len; i++) {
        char c = s.charAt(i);
        if (c >= 1 && c <= 0x7F) {
          b[n++] = (byte) c;
        } else if (c <= 0x7FF) {
          b[n++] = (byte) (0xC0 | (c >> 6));
          b[n++] = (byte) (0x80 | (c & 0x3F));
        } else {
          b[n++] = (byte) (0xE0 | (c >> 12));
          b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          b[n++] = (byte) (0x80 | (c & 0x3F));
        }
      }
      return this;
    }

    /** An unsigned variable-length number: 7 bits a byte, least significant first. */
    public Writer putVarLong(long v) {
      while ((v & ~0x7FL) != 0) {
        putByte((int) (v & 0x7F) | 0x80);
        v >>>= 7;
      }
      return putByte((int) v);
    }

    /** A map of names to numbers (a reading's metrics): its size, then each name and number. */
    public Writer putDoubleMap(java.util.Map<String, Double> m) {
      putInt(m.size());
      for (java.util.Map.Entry<String, Double> e : m.entrySet()) {
        putUtf(e.getKey()).putDouble(e.getValue());
      }
      return this;
    }

    public byte[] toBytes() {
      return Arrays.copyOf(b, n);
    }
  }

  /** Reads what a {@link Writer} (or a {@link java.io.DataOutputStream}) wrote, in the same order. */
  public static final class Reader {
    private final byte[] b;
    private int i;

    public Reader(byte[] bytes) {
      this.b = bytes;
    }

    private void need(int count) {
      if (i + count > b.length) {
        throw new IllegalArgumentException("state value ends after " + b.length + " bytes; " + count + " more expected");
      }
    }

    public byte getByte() {
      need(1);
      return b[i++];
    }

    public boolean getBoolean() {
      return getByte() != 0;
    }

    public int getInt() {
      need(4);
      int v = (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
      i += 4;
      return v;
    }

    public long getLong() {
      need(8);
      long v = 0;
      for (int k = 0; k < 8; k++) {
        v = v << 8 | (b[i++] & 0xFF);
      }
      return v;
    }

    public double getDouble() {
      return Double.longBitsToDouble(getLong());
    }

    /** What {@link Writer#putVarLong} wrote. */
    public long getVarLong() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = getByte();
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("malformed variable-length number in a state value");
    }

    /** What {@link Writer#putDoubleMap} wrote, sorted by name. */
    public java.util.TreeMap<String, Double> getDoubleMap() {
      int n = getInt();
      java.util.TreeMap<String, Double> m = new java.util.TreeMap<>();
      for (int k = 0; k < n; k++) {
        m.put(getUtf(), getDouble());
      }
      return m;
    }

    public String getUtf() {
      need(2);
      int bytes = (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
      i += 2;
      need(bytes);
      int end = i + bytes;
      StringBuilder s = new StringBuilder(bytes);
      while (i < end) {
        int c = b[i] & 0xFF;
        if (c < 0x80) {
          s.append((char) c);
          i++;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < end) {
          s.append((char) ((c & 0x1F) << 6 | (b[i + 1] & 0x3F)));
          i += 2;
        } else if ((c & 0xF0) == 0xE0 && i + 2 < end) {
          s.append((char) ((c & 0x0F) << 12 | (b[i + 1] & 0x3F) << 6 | (b[i + 2] & 0x3F)));
          i += 3;
        } else {
          throw new IllegalArgumentException("malformed string in a state value at byte " + i);
        }
      }
      return s.toString();
    }
  }
}
