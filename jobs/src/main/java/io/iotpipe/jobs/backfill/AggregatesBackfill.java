package io.iotpipe.jobs.backfill;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.WindowAggregation;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.event.EventFields;
import java.time.LocalDate;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Recomputes the final windows of a day (device and fleet level) with the streaming job's own
 * window computation over all of the day's events (late and corrected ones included), replaces
 * the day in Delta {@code aggregates}, upserts the Cassandra serving tables and deletes there the
 * windows that no longer exist (an event moved or removed).
 */
final class AggregatesBackfill implements BackfillOutput {
  private final SparkSession spark;
  private final BackfillOptions o;
  private final String path;
  /** Of the day being planned: the stored windows that are gone. */
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
    Dataset<Row> fresh = AggregateTables.finals(WindowAggregation.batch(inputEvents, o.aggregates().spec())).cache();
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
    WindowServing serving = new WindowServing(c.connector(), c.keyspace(), o.aggregates().deviceWindowsTtl(),
        o.aggregates().fleetWindowsTtl());
    serving.write(plan.fresh().withColumn(WindowServing.FINAL, lit(true)));
    serving.delete(vanished);
    return plan.differs() ? plan.rows() : 0;
  }

  @Override
  public void release(Plan plan) {
    plan.fresh().unpersist();
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
