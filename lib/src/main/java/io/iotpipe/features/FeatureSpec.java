package io.iotpipe.features;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The feature definitions: which metrics, over which horizons. Per event of a device, as of its
 * event time, over each horizon ending there:
 *
 * <ul>
 *   <li>{@code since_prev_s}: seconds since the device's previous event (capped at the longest
 *       horizon; the cap for a first event);
 *   <li>{@code rate_<h>}: events per minute; {@code missing_<h>}: metric values the device left out;
 *   <li>per metric: {@code <m>_last} (this event's value), {@code <m>_mean_<h>}, {@code _std_<h>}
 *       (population), {@code _min_<h>}, {@code _max_<h>}, {@code _slope_<h>} (least-squares trend,
 *       per minute), {@code _z_<h>} (z-score of this event's value against the horizon) and
 *       {@code _absz_<h>} (its magnitude, so that a linear model sees spikes in either direction).
 * </ul>
 *
 * <p>A value with nothing to compute it from (no data in the horizon, a metric this event lacks,
 * zero spread) is 0; the missing counts say so. A horizon is made of 60 buckets of horizon/60: the
 * one holding the event and the 59 before it.
 *
 * @param allowedLateness features of an event are computed once the watermark (largest event time
 *     seen minus this) has passed it, in event-time order, so that out-of-order arrival does not
 *     change them; events behind the watermark are late and get none
 */
public record FeatureSpec(List<String> metrics, List<Duration> horizons, Duration allowedLateness)
    implements Serializable {

  public static final int BUCKETS_PER_HORIZON = 60;

  public FeatureSpec {
    metrics = List.copyOf(metrics);
    horizons = List.copyOf(horizons);
    for (Duration h : horizons) {
      if (h.toMillis() % (BUCKETS_PER_HORIZON * 1000L) != 0) {
        throw new IllegalArgumentException("horizon " + h + " must be a whole number of minutes");
      }
    }
    for (String m : metrics) {
      if (!m.matches("[a-z][a-z0-9_]*")) {
        throw new IllegalArgumentException("metric name '" + m + "' must be lower case letters, digits and _");
      }
    }
  }

  /** The feature names, in vector order. */
  public List<String> names() {
    List<String> n = new ArrayList<>();
    n.add("since_prev_s");
    for (Duration h : horizons) {
      n.add("rate_" + label(h));
      n.add("missing_" + label(h));
    }
    for (String m : metrics) {
      n.add(m + "_last");
      for (Duration h : horizons) {
        for (String stat : METRIC_STATS) {
          n.add(m + "_" + stat + "_" + label(h));
        }
      }
    }
    return n;
  }

  static final List<String> METRIC_STATS = List.of("mean", "std", "min", "max", "slope", "z", "absz");

  /** A short, stable identifier of these definitions: stored with every vector and every model. */
  public String id() {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(String.join(",", names()).getBytes(StandardCharsets.UTF_8));
      return "fs-" + HexFormat.of().formatHex(h).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The column of {@link #outputSchema} that holds the features, in {@link #names()} order. */
  public static final String VALUES = "values";

  /** The column of {@link #outputSchema} that marks a device's last feature row of a call: its latest vector. */
  public static final String LATEST = "latest";

  /**
   * Rows the feature functions emit: kind, tenant_id, device_id, event_id, feature_time_us,
   * {@value #VALUES}, the features in {@link #names()} order (empty for a LATE marker), and
   * {@value #LATEST}, true on each device's last row of a micro-batch (or of a batch). One array
   * of doubles, not a column per feature: Spark copies a primitive array into its row format at
   * once, where it converts a wide row of boxed values field by field (measured: that conversion
   * was 14% of the features job's CPU).
   */
  public StructType outputSchema() {
    return new StructType()
        .add("kind", DataTypes.StringType)
        .add("tenant_id", DataTypes.StringType)
        .add("device_id", DataTypes.StringType)
        .add("event_id", DataTypes.StringType)
        .add("feature_time_us", DataTypes.LongType)
        .add(VALUES, DataTypes.createArrayType(DataTypes.DoubleType, false), false)
        .add(LATEST, DataTypes.BooleanType, false);
  }

  public long longestHorizonMicros() {
    return horizons.stream().mapToLong(d -> d.toMillis() * 1000L).max().orElse(0);
  }

  static String label(Duration h) {
    long minutes = h.toMinutes();
    return minutes % 60 == 0 ? (minutes / 60) + "h" : minutes + "m";
  }
}
