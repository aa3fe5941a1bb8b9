package io.iotpipe.features;

import io.iotpipe.event.DeviceEvents;
import io.iotpipe.event.EventDedup;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The per-device feature computation, the same for the stream and for a batch: holds events
 * until the watermark has passed them, then computes each event's features in event-time order (so
 * out-of-order arrival within the allowed lateness changes nothing). Its input is already
 * deduplicated ({@link EventDedup}, the rule every job shares).
 */
final class DeviceFeatureProcessor implements Serializable {
  private static final long serialVersionUID = 1L;

  static final String FEATURES = "FEATURES";
  static final String LATE = "LATE";

  private final FeatureSpec spec;
  private final double capSeconds;
  private final int width;

  DeviceFeatureProcessor(FeatureSpec spec) {
    this.spec = spec;
    this.width = spec.names().size();
    this.capSeconds = spec.longestHorizonMicros() / 1e6;
  }

  /**
   * @param watermarkMs events at or before it are late, those waiting up to it are computed;
   *     Long.MAX_VALUE computes everything (a batch)
   */
  void process(Iterator<Row> events, DeviceFeatureState st, long watermarkMs, List<Row> out) {
    long watermarkMicros = watermarkMs == Long.MAX_VALUE ? Long.MAX_VALUE : watermarkMs * 1000L;
    while (events.hasNext()) {
      Row r = events.next();
      if (st.tenantId == null) {
        st.tenantId = r.getString(DeviceEvents.TENANT);
        st.deviceId = r.getString(DeviceEvents.DEVICE);
      }
      String id = r.getString(DeviceEvents.EVENT_ID);
      long t = r.getLong(DeviceEvents.TIME_US);
      if (t <= watermarkMicros && watermarkMs != Long.MAX_VALUE) {
        out.add(marker(LATE, st, id, t));
      } else {
        st.pending.put(new DeviceFeatureState.Pending(t, id), new TreeMap<>(r.<String, Double>getJavaMap(DeviceEvents.METRICS)));
      }
    }
    // Each row is added once the next is computed, so that the device's last one of this call is
    // known: it is the device's latest vector, the one the online store keeps.
    DeviceFeatureState.Pending previous = null;
    double[] previousFeatures = null;
    while (!st.pending.isEmpty() && st.pending.firstKey().tMicros() <= watermarkMicros) {
      Map.Entry<DeviceFeatureState.Pending, Map<String, Double>> e = st.pending.pollFirstEntry();
      double[] f = features(st, e.getKey(), e.getValue());
      if (previous != null) {
        out.add(featureRow(st, previous, previousFeatures, false));
      }
      previous = e.getKey();
      previousFeatures = f;
    }
    if (previous != null) {
      out.add(featureRow(st, previous, previousFeatures, true));
    }
  }

  private static Row featureRow(DeviceFeatureState st, DeviceFeatureState.Pending event, double[] features,
      boolean latest) {
    return RowFactory.create(FEATURES, st.tenantId, st.deviceId, event.eventId(), event.tMicros(), features, latest);
  }

  /** The features of {@code event}, which joins the device's history. */
  private double[] features(DeviceFeatureState st, DeviceFeatureState.Pending event, Map<String, Double> values) {
    long t = event.tMicros();
    Map<String, Double> known = new TreeMap<>();
    for (String m : spec.metrics()) {
      Double v = values.get(m);
      if (v != null) {
        known.put(m, v);
      }
    }
    int missing = spec.metrics().size() - known.size();
    for (HorizonBuckets h : st.horizons) {
      h.add(t, known, missing);
      h.evictBefore(h.bucket(t) - (FeatureSpec.BUCKETS_PER_HORIZON - 1));
    }
    double[] row = new double[width];
    int i = 0;
    row[i++] = st.prevMicros == Long.MIN_VALUE ? capSeconds : Math.min(capSeconds, (t - st.prevMicros) / 1e6);
    st.prevMicros = t;
    for (int hi = 0; hi < st.horizons.size(); hi++) {
      long events = 0;
      long missed = 0;
      for (long[] b : st.horizons.get(hi).events.values()) {
        events += b[0];
        missed += b[1];
      }
      row[i++] = events / (double) spec.horizons().get(hi).toMinutes();
      row[i++] = (double) missed;
    }
    for (String m : spec.metrics()) {
      Double last = known.get(m);
      row[i++] = last == null ? 0.0 : last;
      for (HorizonBuckets h : st.horizons) {
        i = metricStats(h, m, t, last, row, i);
      }
    }
    return row;
  }

  /** Writes mean, std, min, max, slope, z and |z| of metric {@code m} over the horizon into {@code row}. */
  private static int metricStats(HorizonBuckets h, String m, long tMicros, Double last, double[] row, int i) {
    NavigableMap<Long, HorizonBuckets.MetricBucket> buckets = h.metrics.get(m);
    long n = 0;
    double sum = 0;
    double sumSq = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sx = 0;
    double sxx = 0;
    double sxv = 0;
    if (buckets != null) {
      for (Map.Entry<Long, HorizonBuckets.MetricBucket> e : buckets.entrySet()) {
        HorizonBuckets.MetricBucket b = e.getValue();
        // Times relative to this event: shift each bucket's sums from its start to tMicros.
        double shift = (e.getKey() * h.widthMicros - tMicros) / 1e6;
        sx += b.sumX + b.n * shift;
        sxx += b.sumXx + 2 * shift * b.sumX + b.n * shift * shift;
        sxv += b.sumXv + shift * b.sum;
        n += b.n;
        sum += b.sum;
        sumSq += b.sumSq;
        min = Math.min(min, b.min);
        max = Math.max(max, b.max);
      }
    }
    if (n == 0) {
      for (int k = 0; k < FeatureSpec.METRIC_STATS.size(); k++) {
        row[i++] = 0.0;
      }
      return i;
    }
    double mean = sum / n;
    double std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
    double denominator = n * sxx - sx * sx;
    double slopePerMinute = denominator > 1e-9 ? 60 * (n * sxv - sx * sum) / denominator : 0;
    double z = last != null && std > 1e-12 ? (last - mean) / std : 0;
    row[i++] = mean;
    row[i++] = std;
    row[i++] = min;
    row[i++] = max;
    row[i++] = slopePerMinute;
    row[i++] = z;
    row[i++] = Math.abs(z);
    return i;
  }

  private static final double[] NO_FEATURES = new double[0];

  private Row marker(String kind, DeviceFeatureState st, String eventId, long tMicros) {
    return RowFactory.create(kind, st.tenantId, st.deviceId, eventId, tMicros, NO_FEATURES, false);
  }
}
