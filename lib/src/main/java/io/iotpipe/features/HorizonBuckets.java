package io.iotpipe.features;

import io.iotpipe.spark.StateBytes;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * One device's recent history at the resolution of one horizon: per bucket (horizon/60), the
 * number of events and missing values, and per metric the sums a mean, spread, range and trend
 * need. Sums of times are kept relative to each bucket's start, so that they stay small numbers
 * and the trend is computed without cancellation.
 *
 * <p>Why a ring of primitive arrays: the buckets are the last 60 before the newest event's
 * (events are added in event-time order), so bucket {@code b} lives in slot {@code b mod 60}
 * and a new bucket overwrites the one it evicts. Reading a horizon is then a scan of a few flat
 * arrays, where the sorted maps of bucket objects it replaces cost a tree walk, a boxed key and
 * an object per bucket, metric and device in every micro-batch. The stored bytes are the maps'
 * (format 2 of {@link DeviceFeatureState}): buckets in index order, metrics in name order.
 */
final class HorizonBuckets {
  static final int SLOTS = FeatureSpec.BUCKETS_PER_HORIZON;
  /** The statistics kept per metric and bucket, in this order, after the count. */
  private static final int SUM = 0;
  private static final int SUM_SQ = 1;
  private static final int MIN = 2;
  private static final int MAX = 3;
  private static final int SUM_X = 4;
  private static final int SUM_XX = 5;
  private static final int SUM_XV = 6;
  static final int STATS = 7;

  final long widthMicros;
  private final List<String> metrics;
  /** Metric indexes in name order: the order of the stored bytes. */
  private final int[] byName;
  /** The newest bucket's index; Long.MIN_VALUE while empty. */
  private long newest = Long.MIN_VALUE;
  /** The bucket index each slot holds (valid for slots of the last 60 buckets only). */
  private final long[] slotBucket = new long[SLOTS];
  private final long[] events = new long[SLOTS];
  private final long[] missing = new long[SLOTS];
  /** Per metric (spec order): values per slot, and STATS doubles per slot. */
  private final long[][] n;
  private final double[][] stats;

  HorizonBuckets(long widthMicros, List<String> metrics) {
    this.widthMicros = widthMicros;
    this.metrics = metrics;
    this.n = new long[metrics.size()][SLOTS];
    this.stats = new double[metrics.size()][SLOTS * STATS];
    TreeMap<String, Integer> sorted = new TreeMap<>();
    for (int m = 0; m < metrics.size(); m++) {
      sorted.put(metrics.get(m), m);
    }
    this.byName = sorted.values().stream().mapToInt(Integer::intValue).toArray();
    Arrays.fill(slotBucket, Long.MIN_VALUE);
  }

  long bucket(long tMicros) {
    return Math.floorDiv(tMicros, widthMicros);
  }

  /**
   * Adds an event at {@code tMicros}, no earlier than the events before it; {@code present[m]}
   * says whether it has a value {@code values[m]} of metric m. Buckets more than 59 before its
   * own are dropped.
   */
  void add(long tMicros, double[] values, boolean[] present, int missingValues) {
    long b = bucket(tMicros);
    int s = slotOf(b, true);
    events[s]++;
    missing[s] += missingValues;
    double x = (tMicros - b * widthMicros) / 1e6;
    for (int m = 0; m < values.length; m++) {
      if (present[m]) {
        double v = values[m];
        double[] st = stats[m];
        int o = s * STATS;
        n[m][s]++;
        st[o + SUM] += v;
        st[o + SUM_SQ] += v * v;
        st[o + MIN] = Math.min(st[o + MIN], v);
        st[o + MAX] = Math.max(st[o + MAX], v);
        st[o + SUM_X] += x;
        st[o + SUM_XX] += x * x;
        st[o + SUM_XV] += x * v;
      }
    }
  }

  /** The slot of bucket {@code b}, cleared first if it held an older bucket (when {@code claim}); -1 if absent. */
  private int slotOf(long b, boolean claim) {
    int s = (int) Math.floorMod(b, (long) SLOTS);
    if (slotBucket[s] == b) {
      return s;
    }
    if (!claim) {
      return -1;
    }
    if (newest == Long.MIN_VALUE || b > newest) {
      newest = b;
    }
    slotBucket[s] = b;
    events[s] = 0;
    missing[s] = 0;
    for (int m = 0; m < n.length; m++) {
      n[m][s] = 0;
      int o = s * STATS;
      Arrays.fill(stats[m], o, o + STATS, 0.0);
      stats[m][o + MIN] = Double.POSITIVE_INFINITY;
      stats[m][o + MAX] = Double.NEGATIVE_INFINITY;
    }
    return s;
  }

  /** Whether slot {@code s} holds one of the last 60 buckets. */
  private boolean live(int s) {
    return newest != Long.MIN_VALUE && slotBucket[s] != Long.MIN_VALUE && slotBucket[s] > newest - SLOTS;
  }

  boolean isEmpty() {
    return newest == Long.MIN_VALUE;
  }

  /** Events in the horizon. */
  long events() {
    long sum = 0;
    for (int s = 0; s < SLOTS; s++) {
      sum += live(s) ? events[s] : 0;
    }
    return sum;
  }

  /** Missing metric values in the horizon. */
  long missing() {
    long sum = 0;
    for (int s = 0; s < SLOTS; s++) {
      sum += live(s) ? missing[s] : 0;
    }
    return sum;
  }

  /**
   * Writes mean, std, min, max, slope (per minute), z and |z| of metric {@code m} over the
   * horizon as of {@code tMicros} into {@code row} from {@code i}; {@code last} is the event's value
   * (NaN: none). Buckets are summed oldest first.
   */
  int metricStats(int m, long tMicros, double last, double[] row, int i) {
    long count = 0;
    double sum = 0;
    double sumSq = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sx = 0;
    double sxx = 0;
    double sxv = 0;
    if (newest != Long.MIN_VALUE) {
      long[] counts = n[m];
      double[] st = stats[m];
      for (long b = newest - SLOTS + 1; b <= newest; b++) {
        int s = (int) Math.floorMod(b, (long) SLOTS);
        if (slotBucket[s] != b || counts[s] == 0) {
          continue;
        }
        int o = s * STATS;
        long bn = counts[s];
        // Times relative to this event: shift each bucket's sums from its start to tMicros.
        double shift = (b * widthMicros - tMicros) / 1e6;
        sx += st[o + SUM_X] + bn * shift;
        sxx += st[o + SUM_XX] + 2 * shift * st[o + SUM_X] + bn * shift * shift;
        sxv += st[o + SUM_XV] + shift * st[o + SUM];
        count += bn;
        sum += st[o + SUM];
        sumSq += st[o + SUM_SQ];
        min = Math.min(min, st[o + MIN]);
        max = Math.max(max, st[o + MAX]);
      }
    }
    if (count == 0) {
      for (int k = 0; k < FeatureSpec.METRIC_STATS.size(); k++) {
        row[i++] = 0.0;
      }
      return i;
    }
    double mean = sum / count;
    double std = Math.sqrt(Math.max(0, sumSq / count - mean * mean));
    double denominator = count * sxx - sx * sx;
    double slopePerMinute = denominator > 1e-9 ? 60 * (count * sxv - sx * sum) / denominator : 0;
    double z = !Double.isNaN(last) && std > 1e-12 ? (last - mean) / std : 0;
    row[i++] = mean;
    row[i++] = std;
    row[i++] = min;
    row[i++] = max;
    row[i++] = slopePerMinute;
    row[i++] = z;
    row[i++] = Math.abs(z);
    return i;
  }

  /** Values of metric {@code m} in the horizon (for tests). */
  long values(int m) {
    long sum = 0;
    for (int s = 0; s < SLOTS; s++) {
      sum += live(s) ? n[m][s] : 0;
    }
    return sum;
  }

  /** The live buckets' indexes in ascending order. */
  private long[] liveBuckets() {
    if (newest == Long.MIN_VALUE) {
      return new long[0];
    }
    return java.util.stream.LongStream.rangeClosed(newest - SLOTS + 1, newest)
        .filter(b -> slotBucket[(int) Math.floorMod(b, (long) SLOTS)] == b).toArray();
  }

  void write(StateBytes.Writer out) {
    long[] live = liveBuckets();
    out.putInt(live.length);
    for (long b : live) {
      int s = (int) Math.floorMod(b, (long) SLOTS);
      out.putLong(b).putLong(events[s]).putLong(missing[s]);
    }
    int withValues = 0;
    for (int m : byName) {
      withValues += values(m) > 0 ? 1 : 0;
    }
    out.putInt(withValues);
    for (int m : byName) {
      if (values(m) == 0) {
        continue;
      }
      out.putUtf(metrics.get(m));
      int buckets = 0;
      for (long b : live) {
        buckets += n[m][(int) Math.floorMod(b, (long) SLOTS)] > 0 ? 1 : 0;
      }
      out.putInt(buckets);
      for (long b : live) {
        int s = (int) Math.floorMod(b, (long) SLOTS);
        if (n[m][s] == 0) {
          continue;
        }
        int o = s * STATS;
        double[] st = stats[m];
        out.putLong(b).putLong(n[m][s]).putDouble(st[o + SUM]).putDouble(st[o + SUM_SQ]).putDouble(st[o + MIN])
            .putDouble(st[o + MAX]).putDouble(st[o + SUM_X]).putDouble(st[o + SUM_XX]).putDouble(st[o + SUM_XV]);
      }
    }
  }

  /** Reads {@link #write}'s bytes; a metric the definitions no longer have is dropped (it was never read). */
  static HorizonBuckets read(StateBytes.Reader in, long widthMicros, List<String> metrics) {
    HorizonBuckets h = new HorizonBuckets(widthMicros, metrics);
    int buckets = in.getInt();
    for (int i = 0; i < buckets; i++) {
      int s = h.slotOf(in.getLong(), true);
      h.events[s] = in.getLong();
      h.missing[s] = in.getLong();
    }
    int withValues = in.getInt();
    for (int i = 0; i < withValues; i++) {
      int m = metrics.indexOf(in.getUtf());
      int count = in.getInt();
      for (int j = 0; j < count; j++) {
        long b = in.getLong();
        long values = in.getLong();
        double[] read = new double[STATS];
        for (int k = 0; k < STATS; k++) {
          read[k] = in.getDouble();
        }
        int s = h.slotOf(b, false);
        if (m >= 0 && s >= 0) {
          h.n[m][s] = values;
          System.arraycopy(read, 0, h.stats[m], s * STATS, STATS);
        }
      }
    }
    return h;
  }
}
