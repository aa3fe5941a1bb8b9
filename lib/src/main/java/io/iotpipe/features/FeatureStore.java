package io.iotpipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.struct;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.spark.connector.cql.CassandraConnector;
import io.iotpipe.cassandra.InFlightWrites;
import io.iotpipe.delta.TableSpec;
import java.sql.Timestamp;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.util.LongAccumulator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The two feature stores. Offline: the Delta table {@code features}, every feature row ever
 * computed, for training (appended by the features job; a day is replaced by a backfill). Online: the Cassandra table {@code device_features}, the
 * latest vector per device with its feature time, for scoring now, read through
 * {@link Reader}, which refuses a vector older than a maximum age.
 */
public final class FeatureStore {
  private FeatureStore() {}

  public static final String ONLINE_TABLE = "device_features";

  /** The offline table for these definitions (its columns follow the feature names). */
  /** Name, partitioning and Z-order of the offline table; its columns depend on the feature set. */
  public static final TableSpec OFFLINE_LAYOUT =
      new TableSpec("features", new StructType(), List.of("feature_date")).zOrderBy("tenant_id", "device_id");

  public static TableSpec offline(FeatureSpec spec) {
    StructType s = new StructType()
        .add("tenant_id", DataTypes.StringType)
        .add("device_id", DataTypes.StringType)
        .add("event_id", DataTypes.StringType)
        .add("feature_time", DataTypes.TimestampType)
        .add("feature_date", DataTypes.DateType)
        .add("feature_set", DataTypes.StringType);
    for (String n : spec.names()) {
      s = s.add(n, DataTypes.DoubleType);
    }
    return new TableSpec(OFFLINE_LAYOUT.name(), s, OFFLINE_LAYOUT.partitionColumns(), OFFLINE_LAYOUT.zOrderColumns());
  }

  /**
   * Writes each of {@code latestRows} (offline rows, one per device: a micro-batch's
   * {@link FeatureComputation#latestFeatureRows}) to the online table, with its feature time as the
   * Cassandra write timestamp: whatever order writes arrive in (a replayed batch included), the
   * vector with the latest feature time wins. More rows of a device would still leave the latest,
   * only with more writes.
   *
   * @return the number of rows written
   */
  public static long writeOnline(Dataset<org.apache.spark.sql.Row> latestRows, FeatureSpec spec,
      CassandraConnector connector, String keyspace, Duration ttl) {
    return upsertOnline(latestRows.select(col("tenant_id"), col("device_id"), col("feature_time"), col("event_id"),
        col("feature_set"), onlineVector(spec)), connector, keyspace, ttl, false);
  }

  /**
   * Like {@link #writeOnline}, for recomputed vectors (a backfill after late or corrected events),
   * from any number of offline rows per device, of which each device's latest is written; a
   * device's vector also replaces a stored one of the same feature time that differs from it
   * (written one microsecond later than that one), and is skipped where it is already stored or
   * where the store holds a later feature time. Reads each device's row first; a stream writing
   * the same device's same feature time at that moment could still win.
   *
   * @return the number of devices written
   */
  public static long replaceOnline(Dataset<org.apache.spark.sql.Row> featureRows, FeatureSpec spec,
      CassandraConnector connector, String keyspace, Duration ttl) {
    Dataset<org.apache.spark.sql.Row> latest = featureRows
        .groupBy("tenant_id", "device_id")
        .agg(max_by(struct(col("feature_time"), col("event_id"), col("feature_set"), onlineVector(spec)),
            col("feature_time")).as("f"))
        .select(col("tenant_id"), col("device_id"), col("f.feature_time"), col("f.event_id"), col("f.feature_set"),
            col("f.vector"));
    return upsertOnline(latest, connector, keyspace, ttl, true);
  }

  /** The online table's {@code vector}: the offline row's feature columns as a list of doubles, in spec order. */
  private static Column onlineVector(FeatureSpec spec) {
    return FeatureComputation.values(spec.names()).as("vector");
  }

  /** Writes rows of (tenant_id, device_id, feature_time, event_id, feature_set, vector). */
  private static long upsertOnline(Dataset<org.apache.spark.sql.Row> latest, CassandraConnector connector,
      String keyspace, Duration ttl, boolean replaceSameTime) {
    int ttlSeconds = (int) ttl.toSeconds();
    LongAccumulator written = latest.sparkSession().sparkContext().longAccumulator("online feature rows");
    latest.foreachPartition((ForeachPartitionFunction<org.apache.spark.sql.Row>) rows -> {
      // One row per device, so the writes may go out many at once.
      try (CqlSession s = connector.openSession();
           InFlightWrites writes = new InFlightWrites(s, InFlightWrites.PER_TASK)) {
        PreparedStatement insert = s.prepare("INSERT INTO " + keyspace + "." + ONLINE_TABLE
            + " (tenant_id, device_id, feature_time, event_id, feature_set, vector, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ? AND TTL ?");
        PreparedStatement stored = s.prepare("SELECT feature_time, feature_set, vector, WRITETIME(vector) FROM "
            + keyspace + "." + ONLINE_TABLE + " WHERE tenant_id = ? AND device_id = ?");
        while (rows.hasNext()) {
          org.apache.spark.sql.Row r = rows.next();
          Instant t = r.<Timestamp>getAs(2).toInstant();
          List<Double> values = r.getList(5);
          long timestamp = t.toEpochMilli() * 1000 + t.getNano() / 1000 % 1000;
          if (replaceSameTime) {
            Row old = s.execute(stored.bind(r.getString(0), r.getString(1))).one();
            if (old != null && old.getInstant(0) != null && !old.getInstant(0).isBefore(t)) {
              boolean same = old.getInstant(0).equals(t) && r.getString(4).equals(old.getString(1))
                  && values.equals(old.getList(2, Double.class));
              if (same || old.getInstant(0).isAfter(t)) {
                continue;
              }
              timestamp = Math.max(timestamp, old.getLong(3) + 1);
            }
          }
          writes.send(insert.bind(r.getString(0), r.getString(1), t, r.getString(3), r.getString(4), values,
              Instant.now(), timestamp, ttlSeconds));
          written.add(1);
        }
      }
    });
    return written.value();
  }

  /** Whether a vector can be served as current. */
  public enum Status { FRESH, STALE, MISSING }

  /** One online lookup: the vector is only given out when FRESH. */
  public record Lookup(Status status, String featureSet, Instant featureTime, Duration age, double[] vector) {
    public double[] current() {
      if (status != Status.FRESH) {
        throw new IllegalStateException("no current feature vector: " + status
            + (age == null ? "" : " (age " + age + ")"));
      }
      return vector;
    }
  }

  /** Reads the online store. */
  public static final class Reader {
    private final CqlSession session;
    private final PreparedStatement latest;
    private final Duration maxAge;

    public Reader(CqlSession session, String keyspace, Duration maxAge) {
      this.session = session;
      this.maxAge = maxAge;
      this.latest = session.prepare("SELECT feature_time, feature_set, vector FROM " + keyspace + "." + ONLINE_TABLE
          + " WHERE tenant_id = ? AND device_id = ?");
    }

    /** The device's latest vector, FRESH only if its feature time is at most the max age before {@code now}. */
    public Lookup latest(String tenant, String device, Instant now) {
      Row r = session.execute(latest.bind(tenant, device)).one();
      if (r == null) {
        return new Lookup(Status.MISSING, null, null, null, null);
      }
      Instant t = r.getInstant("feature_time");
      Duration age = Duration.between(t, now);
      List<Double> f = r.getList("vector", Double.class);
      double[] v = f.stream().mapToDouble(Double::doubleValue).toArray();
      Status s = age.compareTo(maxAge) > 0 ? Status.STALE : Status.FRESH;
      return new Lookup(s, r.getString("feature_set"), t, age, s == Status.FRESH ? v : null);
    }
  }
}
