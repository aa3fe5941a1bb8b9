package io.iotpipe.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The percentiles of one window's values, mergeable, and depending only on the values: not on
 * their order, nor on how they were split into partial sketches and merged (so a stream, a
 * restarted stream and a backfill give the same percentiles for the same values).
 *
 * <ul>
 *   <li>Up to {@link #EXACT_LIMIT} values they are kept, and a percentile is exact: the value at
 *       0-based rank floor(q n) of the sorted values (the last one for q n = n).
 *   <li>Beyond that the values go into a DDSketch (logarithmic buckets whose counts only add up,
 *       hence order-independent): the value returned for the same rank is within
 *       {@link #RELATIVE_ACCURACY} (1%) of the true one, relatively.
 * </ul>
 *
 * <p>It is also the buffer of the Spark aggregators {@link WindowStats} uses: Spark stores it in
 * state and shuffles it through {@link #getEncoded()}/{@link #setEncoded} (a bean property, so that
 * the stored form is this class's own compact format, not a serializer's).
 */
public final class QuantileSketch {
  /** Largest number of values whose percentiles are exact. */
  public static final int EXACT_LIMIT = 128;
  /** Relative error of a percentile above {@link #EXACT_LIMIT} values. */
  public static final double RELATIVE_ACCURACY = 0.01;
  private static final byte EXACT = 1;
  private static final byte SKETCHED = 2;
  private static final LogarithmicMapping MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY);

  private double[] values = new double[4];
  private int n;
  /** Non-null once there are more than {@link #EXACT_LIMIT} values; {@link #values} is then unused. */
  private DDSketch sketch;

  public void add(double value) {
    if (sketch != null) {
      sketch.accept(value);
      return;
    }
    if (n == values.length) {
      values = Arrays.copyOf(values, Math.min(EXACT_LIMIT + 1, n * 2));
    }
    values[n++] = value;
    if (n > EXACT_LIMIT) {
      toSketch();
    }
  }

  /** Adds every value of {@code other}. */
  public void merge(QuantileSketch other) {
    if (other.sketch != null) {
      if (sketch == null) {
        DDSketch mine = newSketch();
        for (int i = 0; i < n; i++) {
          mine.accept(values[i]);
        }
        sketch = mine;
        values = new double[0];
        n = 0;
      }
      sketch.mergeWith(other.sketch);
      return;
    }
    for (int i = 0; i < other.n; i++) {
      add(other.values[i]);
    }
  }

  public long count() {
    return sketch != null ? (long) sketch.getCount() : n;
  }

  /** The percentile {@code q} (0..1) as defined above; NaN when there is no value. */
  public double quantile(double q) {
    long count = count();
    if (count == 0) {
      return Double.NaN;
    }
    long rank = Math.min(count - 1, (long) Math.floor(q * count));
    if (sketch == null) {
      double[] sorted = Arrays.copyOf(values, n);
      Arrays.sort(sorted);
      return sorted[(int) rank];
    }
    // DDSketch finds the first bucket whose cumulative count exceeds q' (count - 1); half a rank
    // more than the wanted one makes that exactly the bucket holding it.
    return sketch.getValueAtQuantile(Math.min(1.0, (rank + 0.5) / (count - 1)));
  }

  public boolean isExact() {
    return sketch == null;
  }

  private void toSketch() {
    DDSketch s = newSketch();
    for (int i = 0; i < n; i++) {
      s.accept(values[i]);
    }
    sketch = s;
    values = new double[0];
    n = 0;
  }

  private static DDSketch newSketch() {
    return new DDSketch(MAPPING, UnboundedSizeDenseStore::new);
  }

  /** This sketch in its stored form: the same values give the same bytes. */
  public byte[] getEncoded() {
    if (sketch == null) {
      // Sorted, so that the same values always have the same stored form.
      double[] sorted = Arrays.copyOf(values, n);
      Arrays.sort(sorted);
      ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 * n).put(EXACT).putInt(n);
      for (double v : sorted) {
        b.putDouble(v);
      }
      return b.array();
    }
    // The mapping is fixed (MAPPING): only the bucket counts are stored.
    GrowingByteArrayOutput out = GrowingByteArrayOutput.withInitialCapacity(256);
    try {
      out.writeByte(SKETCHED);
      sketch.encode(out, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.trimmedCopy();
  }

  /** Replaces this sketch's content with a stored one. */
  public void setEncoded(byte[] encoded) {
    if (encoded[0] == EXACT) {
      ByteBuffer b = ByteBuffer.wrap(encoded, 1, encoded.length - 1);
      n = b.getInt();
      values = new double[Math.max(4, n)];
      for (int i = 0; i < n; i++) {
        values[i] = b.getDouble();
      }
      sketch = null;
    } else if (encoded[0] == SKETCHED) {
      try {
        sketch = DDSketch.decode(ByteArrayInput.wrap(encoded, 1, encoded.length - 1), UnboundedSizeDenseStore::new,
            MAPPING);
      } catch (IOException e) {
        throw new UncheckedIOException("malformed quantile sketch", e);
      }
      values = new double[0];
      n = 0;
    } else {
      throw new IllegalArgumentException("unknown quantile sketch format " + encoded[0]);
    }
  }

  public static QuantileSketch fromEncoded(byte[] encoded) {
    QuantileSketch s = new QuantileSketch();
    s.setEncoded(encoded);
    return s;
  }
}
