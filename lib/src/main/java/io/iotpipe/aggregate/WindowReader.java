package io.iotpipe.aggregate;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.data.UdtValue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads windows back from the Cassandra serving tables ({@link WindowServing}), the way a
 * dashboard would: one partition (time bucket) at a time, newest first.
 */
public final class WindowReader {
  /** One metric of a window as served: the key, the statistics and whether it is final. */
  public record ServedWindow(String deviceId, String metric, long sizeSeconds, Instant windowStart, Instant windowEnd,
      long count, double sum, double min, double max, double mean, double stddev, Instant firstTime, double firstValue,
      Instant lastTime, double lastValue, double p50, double p95, double p99, Long devices, boolean isFinal) {}

  private final CqlSession session;
  private final PreparedStatement deviceBucket;
  private final PreparedStatement fleetRange;

  public WindowReader(CqlSession session, String keyspace) {
    this.session = session;
    this.deviceBucket = session.prepare("SELECT * FROM " + keyspace + "." + WindowServing.DEVICE_TABLE
        + " WHERE tenant_id = ? AND device_id = ? AND window_size = ? AND bucket = ? AND window_start < ? LIMIT ?");
    this.fleetRange = session.prepare("SELECT * FROM " + keyspace + "." + WindowServing.FLEET_TABLE
        + " WHERE tenant_id = ? AND window_size = ? AND bucket = ? AND window_start >= ? AND window_start < ?");
  }

  /**
   * The latest {@code n} windows of one device and metric that start before {@code asOf}, newest
   * first, looking back at most {@code maxBuckets} buckets.
   */
  public List<ServedWindow> latestDeviceWindows(String tenant, String device, String metric, long sizeSeconds,
      int n, Instant asOf, int maxBuckets) {
    List<ServedWindow> out = new ArrayList<>();
    Instant bucket = AggregateTables.bucket(asOf, sizeSeconds);
    long span = sizeSeconds * AggregateTables.WINDOWS_PER_BUCKET;
    for (int i = 0; i < maxBuckets && out.size() < n; i++) {
      for (Row r : session.execute(deviceBucket.bind(tenant, device, (int) sizeSeconds, bucket, asOf, n))) {
        UdtValue stats = metrics(r).get(metric);
        if (out.size() < n && stats != null) {
          out.add(window(r, device, metric, stats));
        }
      }
      bucket = bucket.minusSeconds(span);
    }
    return out;
  }

  /** One tenant's fleet windows (every metric, by name) that start in [from, to), newest first. */
  public List<ServedWindow> fleetWindows(String tenant, long sizeSeconds, Instant from, Instant to) {
    List<ServedWindow> out = new ArrayList<>();
    long span = sizeSeconds * AggregateTables.WINDOWS_PER_BUCKET;
    for (Instant b = AggregateTables.bucket(to.minusMillis(1), sizeSeconds);
        !b.isBefore(AggregateTables.bucket(from, sizeSeconds)); b = b.minusSeconds(span)) {
      for (Row r : session.execute(fleetRange.bind(tenant, (int) sizeSeconds, b, from, to))) {
        for (Map.Entry<String, UdtValue> m : new TreeMap<>(metrics(r)).entrySet()) {
          out.add(window(r, null, m.getKey(), m.getValue()));
        }
      }
    }
    return out;
  }

  private static Map<String, UdtValue> metrics(Row r) {
    return r.getMap("metrics", String.class, UdtValue.class);
  }

  private static ServedWindow window(Row r, String device, String metric, UdtValue s) {
    return new ServedWindow(device, metric, r.getInt("window_size"), r.getInstant("window_start"),
        r.getInstant("window_end"), s.getLong("count"), s.getDouble("sum"), s.getDouble("min"), s.getDouble("max"),
        s.getDouble("mean"), s.getDouble("stddev"), s.getInstant("first_time"), s.getDouble("first_value"),
        s.getInstant("last_time"), s.getDouble("last_value"), s.getDouble("p50"), s.getDouble("p95"),
        s.getDouble("p99"), s.isNull("devices") ? null : s.getLong("devices"), r.getBoolean("final"));
  }
}
