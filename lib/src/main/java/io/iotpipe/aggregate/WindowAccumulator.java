package io.iotpipe.aggregate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;

/**
 * The statistics of the values of one metric in one window, built incrementally and mergeable:
 * count, sum, min, max, mean and variance (Welford, merged with Chan's formula), the first and
 * last value by event time, and a KLL sketch for percentiles.
 *
 * <p>First and last break ties on event time by event id, so the result does not depend on the
 * order in which events arrive. Percentiles are the value at 0-based rank floor(q n) of the
 * sorted values: exact up to {@link #SKETCH_K} values, beyond that a KLL estimate with a
 * normalized rank error of about 1.3%. Sums and variances are floating point and may differ in
 * the last bits between two orders of the same values.
 */
public final class WindowAccumulator {
  /** KLL accuracy parameter: exact up to this many values. */
  public static final int SKETCH_K = 200;
  private static final byte FORMAT = 1;

  private long count;
  private double sum;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private double mean;
  private double m2;
  private long firstMicros = Long.MAX_VALUE;
  private String firstId = "";
  private double firstValue;
  private long lastMicros = Long.MIN_VALUE;
  private String lastId = "";
  private double lastValue;
  private KllDoublesSketch sketch;

  public void add(long eventMicros, String eventId, double value) {
    count++;
    sum += value;
    min = Math.min(min, value);
    max = Math.max(max, value);
    double delta = value - mean;
    mean += delta / count;
    m2 += delta * (value - mean);
    if (eventMicros < firstMicros || (eventMicros == firstMicros && eventId.compareTo(firstId) < 0)) {
      firstMicros = eventMicros;
      firstId = eventId;
      firstValue = value;
    }
    if (eventMicros > lastMicros || (eventMicros == lastMicros && eventId.compareTo(lastId) > 0)) {
      lastMicros = eventMicros;
      lastId = eventId;
      lastValue = value;
    }
    sketch().update(value);
  }

  /** Adds everything {@code other} has seen. */
  public void merge(WindowAccumulator o) {
    if (o.count == 0) {
      return;
    }
    if (count == 0) {
      copyStatsFrom(o);
      sketch().merge(o.sketch());
      return;
    }
    long n = count + o.count;
    double delta = o.mean - mean;
    m2 = m2 + o.m2 + delta * delta * ((double) count * o.count / n);
    mean = mean + delta * o.count / n;
    count = n;
    sum += o.sum;
    min = Math.min(min, o.min);
    max = Math.max(max, o.max);
    if (o.firstMicros < firstMicros || (o.firstMicros == firstMicros && o.firstId.compareTo(firstId) < 0)) {
      firstMicros = o.firstMicros;
      firstId = o.firstId;
      firstValue = o.firstValue;
    }
    if (o.lastMicros > lastMicros || (o.lastMicros == lastMicros && o.lastId.compareTo(lastId) > 0)) {
      lastMicros = o.lastMicros;
      lastId = o.lastId;
      lastValue = o.lastValue;
    }
    sketch().merge(o.sketch());
  }

  private void copyStatsFrom(WindowAccumulator o) {
    count = o.count;
    sum = o.sum;
    min = o.min;
    max = o.max;
    mean = o.mean;
    m2 = o.m2;
    firstMicros = o.firstMicros;
    firstId = o.firstId;
    firstValue = o.firstValue;
    lastMicros = o.lastMicros;
    lastId = o.lastId;
    lastValue = o.lastValue;
  }

  private KllDoublesSketch sketch() {
    if (sketch == null) {
      sketch = KllDoublesSketch.newHeapInstance(SKETCH_K);
    }
    return sketch;
  }

  public long count() {
    return count;
  }

  public double sum() {
    return sum;
  }

  public double min() {
    return min;
  }

  public double max() {
    return max;
  }

  public double mean() {
    return mean;
  }

  /** Population standard deviation of the values (0 for a single value). */
  public double stddev() {
    return count == 0 ? Double.NaN : Math.sqrt(Math.max(0, m2 / count));
  }

  public long firstMicros() {
    return firstMicros;
  }

  public double firstValue() {
    return firstValue;
  }

  public long lastMicros() {
    return lastMicros;
  }

  public double lastValue() {
    return lastValue;
  }

  public double percentile(double q) {
    return sketch().getQuantile(q);
  }

  public boolean isEmpty() {
    return count == 0;
  }

  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static WindowAccumulator fromBytes(byte[] b) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      return read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void write(DataOutputStream out) throws IOException {
    out.writeByte(FORMAT);
    out.writeLong(count);
    out.writeDouble(sum);
    out.writeDouble(min);
    out.writeDouble(max);
    out.writeDouble(mean);
    out.writeDouble(m2);
    out.writeLong(firstMicros);
    out.writeUTF(firstId);
    out.writeDouble(firstValue);
    out.writeLong(lastMicros);
    out.writeUTF(lastId);
    out.writeDouble(lastValue);
    byte[] s = sketch().toByteArray();
    out.writeInt(s.length);
    out.write(s);
  }

  static WindowAccumulator read(DataInputStream in) throws IOException {
    byte format = in.readByte();
    if (format != FORMAT) {
      throw new IOException("unknown window accumulator format " + format);
    }
    WindowAccumulator a = new WindowAccumulator();
    a.count = in.readLong();
    a.sum = in.readDouble();
    a.min = in.readDouble();
    a.max = in.readDouble();
    a.mean = in.readDouble();
    a.m2 = in.readDouble();
    a.firstMicros = in.readLong();
    a.firstId = in.readUTF();
    a.firstValue = in.readDouble();
    a.lastMicros = in.readLong();
    a.lastId = in.readUTF();
    a.lastValue = in.readDouble();
    byte[] s = new byte[in.readInt()];
    in.readFully(s);
    a.sketch = KllDoublesSketch.heapify(Memory.wrap(s));
    return a;
  }
}
