package io.iotpipe.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class StateBytesTest {
  // ASCII, the NUL character, two- and three-byte characters and a surrogate pair.
  private static final String[] STRINGS = {"", "tenant-1", "a\u0000b", "café", "温度", "\uD83D\uDE00 x"};

  @Test
  void writesTheBytesOfADataOutputStreamAndReadsThemBack() throws IOException {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    StateBytes.Writer w = new StateBytes.Writer(1);
    try (DataOutputStream out = new DataOutputStream(expected)) {
      out.writeByte(2);
      w.putByte(2);
      out.writeBoolean(true);
      w.putBoolean(true);
      for (int v : new int[] {0, -1, Integer.MIN_VALUE, 123_456_789}) {
        out.writeInt(v);
        w.putInt(v);
      }
      for (long v : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1_764_000_000_000_000L}) {
        out.writeLong(v);
        w.putLong(v);
      }
      for (double v : new double[] {0.0, -0.0, 21.5, Double.NaN, Double.NEGATIVE_INFINITY, Double.MIN_VALUE}) {
        out.writeDouble(v);
        w.putDouble(v);
      }
      for (String s : STRINGS) {
        out.writeUTF(s);
        w.putUtf(s);
      }
    }
    byte[] bytes = w.toBytes();
    assertArrayEquals(expected.toByteArray(), bytes);

    StateBytes.Reader r = new StateBytes.Reader(bytes);
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    assertEquals(in.readByte(), r.getByte());
    assertEquals(in.readBoolean(), r.getBoolean());
    for (int i = 0; i < 4; i++) {
      assertEquals(in.readInt(), r.getInt());
    }
    for (int i = 0; i < 5; i++) {
      assertEquals(in.readLong(), r.getLong());
    }
    for (int i = 0; i < 6; i++) {
      assertEquals(Double.doubleToRawLongBits(in.readDouble()), Double.doubleToRawLongBits(r.getDouble()));
    }
    for (String s : STRINGS) {
      assertEquals(s, in.readUTF());
      assertEquals(s, r.getUtf());
    }
  }

  @Test
  void variableLengthNumbersTakeSevenBitsAByte() {
    long[] values = {0, 1, 127, 128, 300, 1L << 35, Long.MAX_VALUE, -1};
    StateBytes.Writer w = new StateBytes.Writer(1);
    for (long v : values) {
      w.putVarLong(v);
    }
    byte[] bytes = w.toBytes();
    assertEquals(1 + 1 + 1 + 2 + 2 + 6 + 9 + 10, bytes.length);
    assertArrayEquals(new byte[] {(byte) 0xAC, 0x02}, java.util.Arrays.copyOfRange(bytes, 5, 7), "300");
    StateBytes.Reader r = new StateBytes.Reader(bytes);
    for (long v : values) {
      assertEquals(v, r.getVarLong());
    }
  }

  @Test
  void aTruncatedValueIsAnErrorNotGarbage() {
    byte[] bytes = new StateBytes.Writer(8).putUtf("device-7").putLong(5).toBytes();
    StateBytes.Reader r = new StateBytes.Reader(java.util.Arrays.copyOf(bytes, bytes.length - 1));
    assertEquals("device-7", r.getUtf());
    assertThrows(IllegalArgumentException.class, r::getLong);
  }
}
