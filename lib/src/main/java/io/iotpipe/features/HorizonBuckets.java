package io.iotpipe.features;

import io.iotpipe.spark.StateBytes;
import java.util.Map;
import java.util.TreeMap;

/**
 * One device's recent history at the resolution of one horizon: per bucket (horizon/60), the
 * number of events and missing values, and per metric the sums a mean, spread, range and trend
 * need. Sums of times are kept relative to each bucket's start, so that they stay small numbers
 * and the trend is computed without cancellation.
 */
final class HorizonBuckets {
  /** The statistics of one metric in one bucket. */
  static final class MetricBucket {
    long n;
    double sum;
    double sumSq;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sumX;
    double sumXx;
    double sumXv;

    void add(double x, double v) {
      n++;
      sum += v;
      sumSq += v * v;
      min = Math.min(min, v);
      max = Math.max(max, v);
      sumX += x;
      sumXx += x * x;
      sumXv += x * v;
    }
  }

  final long widthMicros;
  /** Bucket index to {events, missing values}. */
  final TreeMap<Long, long[]> events = new TreeMap<>();
  /** Metric to bucket index to its statistics. */
  final TreeMap<String, TreeMap<Long, MetricBucket>> metrics = new TreeMap<>();

  HorizonBuckets(long widthMicros) {
    this.widthMicros = widthMicros;
  }

  long bucket(long tMicros) {
    return Math.floorDiv(tMicros, widthMicros);
  }

  void add(long tMicros, Map<String, Double> values, int missing) {
    long b = bucket(tMicros);
    long[] e = events.computeIfAbsent(b, k -> new long[2]);
    e[0]++;
    e[1] += missing;
    double x = (tMicros - b * widthMicros) / 1e6;
    for (Map.Entry<String, Double> v : values.entrySet()) {
      metrics.computeIfAbsent(v.getKey(), k -> new TreeMap<>()).computeIfAbsent(b, k -> new MetricBucket())
          .add(x, v.getValue());
    }
  }

  /** Drops buckets before {@code firstKept}. */
  void evictBefore(long firstKept) {
    events.headMap(firstKept).clear();
    metrics.values().forEach(m -> m.headMap(firstKept).clear());
    metrics.values().removeIf(TreeMap::isEmpty);
  }

  boolean isEmpty() {
    return events.isEmpty();
  }

  void write(StateBytes.Writer out) {
    out.putInt(events.size());
    for (Map.Entry<Long, long[]> e : events.entrySet()) {
      out.putLong(e.getKey()).putLong(e.getValue()[0]).putLong(e.getValue()[1]);
    }
    out.putInt(metrics.size());
    for (Map.Entry<String, TreeMap<Long, MetricBucket>> m : metrics.entrySet()) {
      out.putUtf(m.getKey());
      out.putInt(m.getValue().size());
      for (Map.Entry<Long, MetricBucket> b : m.getValue().entrySet()) {
        MetricBucket s = b.getValue();
        out.putLong(b.getKey()).putLong(s.n).putDouble(s.sum).putDouble(s.sumSq).putDouble(s.min).putDouble(s.max)
            .putDouble(s.sumX).putDouble(s.sumXx).putDouble(s.sumXv);
      }
    }
  }

  static HorizonBuckets read(StateBytes.Reader in, long widthMicros) {
    HorizonBuckets h = new HorizonBuckets(widthMicros);
    int n = in.getInt();
    for (int i = 0; i < n; i++) {
      h.events.put(in.getLong(), new long[] {in.getLong(), in.getLong()});
    }
    int metrics = in.getInt();
    for (int i = 0; i < metrics; i++) {
      TreeMap<Long, MetricBucket> buckets = new TreeMap<>();
      h.metrics.put(in.getUtf(), buckets);
      int b = in.getInt();
      for (int j = 0; j < b; j++) {
        long index = in.getLong();
        MetricBucket s = new MetricBucket();
        s.n = in.getLong();
        s.sum = in.getDouble();
        s.sumSq = in.getDouble();
        s.min = in.getDouble();
        s.max = in.getDouble();
        s.sumX = in.getDouble();
        s.sumXx = in.getDouble();
        s.sumXv = in.getDouble();
        buckets.put(index, s);
      }
    }
    return h;
  }
}
