package io.iotpipe.features;

import io.iotpipe.event.DeviceEvents;
import io.iotpipe.event.EventDedup;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
    List<String> metrics = spec.metrics();
    double[] known = new double[metrics.size()];
    boolean[] present = new boolean[metrics.size()];
    int missing = 0;
    for (int m = 0; m < known.length; m++) {
      Double v = values.get(metrics.get(m));
      present[m] = v != null;
      known[m] = v == null ? Double.NaN : v;
      missing += v == null ? 1 : 0;
    }
    for (HorizonBuckets h : st.horizons) {
      h.add(t, known, present, missing);
    }
    double[] row = new double[width];
    int i = 0;
    row[i++] = st.prevMicros == Long.MIN_VALUE ? capSeconds : Math.min(capSeconds, (t - st.prevMicros) / 1e6);
    st.prevMicros = t;
    for (int hi = 0; hi < st.horizons.size(); hi++) {
      HorizonBuckets h = st.horizons.get(hi);
      row[i++] = h.events() / (double) spec.horizons().get(hi).toMinutes();
      row[i++] = (double) h.missing();
    }
    for (int m = 0; m < known.length; m++) {
      row[i++] = present[m] ? known[m] : 0.0;
      for (HorizonBuckets h : st.horizons) {
        i = h.metricStats(m, t, known[m], row, i);
      }
    }
    return row;
  }

  private static final double[] NO_FEATURES = new double[0];

  private Row marker(String kind, DeviceFeatureState st, String eventId, long tMicros) {
    return RowFactory.create(kind, st.tenantId, st.deviceId, eventId, tMicros, NO_FEATURES, false);
  }
}
