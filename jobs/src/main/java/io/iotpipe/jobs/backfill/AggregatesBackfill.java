package io.iotpipe.jobs.backfill;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.spark.connector.cql.CassandraConnector;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.FleetRollup;
import io.iotpipe.aggregate.FleetWindowWriter;
import io.iotpipe.aggregate.WindowAggregation;
import io.iotpipe.aggregate.WindowOutput;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.cassandra.InFlightWrites;
import io.iotpipe.event.EventFields;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Optional;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Recomputes the final windows of a day (device and fleet level) with the streaming job's own
 * window function over all of the day's events (late and corrected ones included), replaces the
 * day in Delta {@code aggregates}, upserts the Cassandra serving tables and deletes there the
 * windows that no longer exist (an event moved or removed).
 */
final class AggregatesBackfill implements BackfillOutput {
  private final SparkSession spark;
  private final BackfillOptions o;
  private final String path;
  /**
   * Of the day being planned: the window output, its final windows merged per fleet (for Delta
   * and for Cassandra, computed once), and the stored windows that are gone.
   */
  private Dataset<Row> output;
  private Dataset<Row> fleet;
  private Dataset<Row> vanished;

  AggregatesBackfill(SparkSession spark, BackfillOptions o) {
    this.spark = spark;
    this.o = o;
    this.path = o.storage().table(AggregateTables.AGGREGATES);
  }

  @Override
  public String name() {
    return "aggregates";
  }

  @Override
  public String definitions() {
    return "windows=" + o.aggregates().spec().windowSizes();
  }

  @Override
  public Column input(LocalDate day) {
    // Window sizes divide a day: the day's windows hold exactly the day's events.
    return col(EventFields.EVENT_DATE).equalTo(lit(java.sql.Date.valueOf(day)));
  }

  @Override
  public Plan plan(Dataset<Row> inputEvents, LocalDate day, Optional<String> tenant) {
    output = WindowAggregation.batch(inputEvents, o.aggregates().spec()).cache();
    fleet = FleetRollup.merge(output.where(col("kind").equalTo(WindowOutput.FINAL))).cache();
    Dataset<Row> fresh = AggregateTables.deviceFinals(WindowAggregation.readable(output))
        .unionByName(AggregateTables.fleetFinals(fleet)).cache();
    Dataset<Row> stored = AggregateTables.AGGREGATES.readOrEmpty(spark, o.storage().deltaRoot())
        .where(scope(day, tenant));
    long rows = fresh.count();
    long changed = fingerprint(fresh).exceptAll(fingerprint(stored)).count();
    long removed = fingerprint(stored).exceptAll(fingerprint(fresh)).count();
    // Kept apart from the Delta table, which the write replaces before Cassandra is cleaned up.
    vanished = key(stored).exceptAll(key(fresh)).localCheckpoint(true);
    return new Plan(day, tenant, fresh, rows, changed, removed);
  }

  @Override
  public long write(Plan plan) {
    if (plan.differs()) {
      plan.fresh().write().format("delta").mode("overwrite")
          .option("replaceWhere", scopeSql(plan.day(), plan.tenant())).save(path);
    }
    CassandraOptions c = o.cassandra();
    // Windows already past their serving TTL are not brought back.
    Instant expired = Instant.now().minus(o.aggregates().deviceWindowsTtl());
    AggregateTables.writeDeviceWindows(WindowAggregation.readable(output)
        .where(col("window_end").gt(lit(Timestamp.from(expired)))), c, o.aggregates().deviceWindowsTtl());
    long fleetExpiredUs = Instant.now().minus(o.aggregates().fleetWindowsTtl()).toEpochMilli() * 1000L;
    new FleetWindowWriter(c.connector(), c.keyspace(), (int) o.aggregates().fleetWindowsTtl().toSeconds())
        .writeFinals(fleet.where(col("window_start_us").plus(col("window_size_s").multiply(1_000_000L)).gt(fleetExpiredUs)));
    deleteServing(vanished, c.connector(), c.keyspace());
    return plan.differs() ? plan.rows() : 0;
  }

  @Override
  public void release(Plan plan) {
    output.unpersist();
    fleet.unpersist();
    plan.fresh().unpersist();
  }

  /** Deletes windows from device_windows and fleet_windows (each key once, so in any order). */
  private static void deleteServing(Dataset<Row> keys, CassandraConnector connector, String keyspace) {
    keys.foreachPartition((ForeachPartitionFunction<Row>) rows -> {
      try (CqlSession s = connector.openSession();
           InFlightWrites deletes = new InFlightWrites(s, InFlightWrites.PER_TASK)) {
        PreparedStatement device = s.prepare("DELETE FROM " + keyspace + "." + AggregateTables.DEVICE_WINDOWS
            + " WHERE tenant_id = ? AND device_id = ? AND metric = ? AND window_size = ? AND bucket = ?"
            + " AND window_start = ?");
        PreparedStatement fleet = s.prepare("DELETE FROM " + keyspace + "." + AggregateTables.FLEET_WINDOWS
            + " WHERE tenant_id = ? AND window_size = ? AND bucket = ? AND window_start = ? AND metric = ?");
        while (rows.hasNext()) {
          Row r = rows.next();
          long size = r.getLong(4);
          Instant start = r.getTimestamp(5).toInstant();
          Instant bucket = AggregateTables.bucket(start, size);
          if (AggregateTables.DEVICE_LEVEL.equals(r.getString(0))) {
            deletes.send(device.bind(r.getString(1), r.getString(2), r.getString(3), (int) size, bucket, start));
          } else {
            deletes.send(fleet.bind(r.getString(1), (int) size, bucket, start, r.getString(3)));
          }
        }
      }
    });
  }

  private static Column scope(LocalDate day, Optional<String> tenant) {
    Column c = col("window_date").equalTo(lit(java.sql.Date.valueOf(day)));
    return tenant.map(t -> c.and(col("tenant_id").equalTo(t))).orElse(c);
  }

  private static String scopeSql(LocalDate day, Optional<String> tenant) {
    return "window_date = DATE'" + day + "'"
        + tenant.map(t -> " AND tenant_id = '" + t.replace("'", "''") + "'").orElse("");
  }

  private static Dataset<Row> key(Dataset<Row> rows) {
    return rows.select("level", "tenant_id", "device_id", "metric", "window_size_s", "window_start");
  }

  /**
   * What decides whether a window changed: its key, count, extremes, first and last values, and
   * sums rounded past floating-point noise (percentiles above 200 values are sketch estimates).
   */
  private static Dataset<Row> fingerprint(Dataset<Row> rows) {
    return rows.selectExpr("level", "tenant_id", "device_id", "metric", "window_size_s", "window_start", "count",
        "min", "max", "first_value", "last_value", "round(sum, 6)", "round(stddev, 6)");
  }
}
