package io.iotpipe.jobs.backfill;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.event.EventFields;
import io.iotpipe.features.FeatureComputation;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.spark.SparkSessions;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Recomputes the feature rows of a day with the streaming job's own feature function, over the
 * day's events and the longest horizon before it, replaces the day in the offline store and
 * upserts the online store (where a recomputed vector replaces one of the same or an older feature time).
 */
final class FeaturesBackfill implements BackfillOutput {
  private final SparkSession spark;
  private final BackfillOptions o;
  private final FeatureSpec spec;
  private final String path;

  FeaturesBackfill(SparkSession spark, BackfillOptions o) {
    this.spark = spark;
    this.o = o;
    this.spec = o.features().spec();
    this.path = o.storage().table(FeatureStore.offline(spec));
    SparkSessions.writePlainParquet(spark, FeatureComputation.featureValueColumns(spec));
  }

  @Override
  public String name() {
    return "features";
  }

  @Override
  public String definitions() {
    return spec.id();
  }

  @Override
  public Column input(LocalDate day) {
    Timestamp start = Timestamp.from(day.atStartOfDay().toInstant(ZoneOffset.UTC));
    Timestamp from = Timestamp.from(start.toInstant().minus(Duration.ofMillis(spec.longestHorizonMicros() / 1000)));
    Timestamp end = Timestamp.from(day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC));
    // The day's events, and before them the longest horizon of history its features look back on.
    return col(EventFields.EVENT_DATE).between(lit(java.sql.Date.valueOf(day.minusDays(1))), lit(java.sql.Date.valueOf(day)))
        .and(col(EventFields.EVENT_TIME).geq(lit(from))).and(col(EventFields.EVENT_TIME).lt(lit(end)));
  }

  @Override
  public Plan plan(Dataset<Row> inputEvents, LocalDate day, Optional<String> tenant) {
    Dataset<Row> fresh = FeatureComputation.featureRows(FeatureComputation.batch(inputEvents, spec), spec)
        .where(col("feature_date").equalTo(lit(java.sql.Date.valueOf(day)))).cache();
    Dataset<Row> stored = FeatureStore.offline(spec).readOrEmpty(spark, o.storage().deltaRoot())
        .where(scope(day, tenant));
    long rows = fresh.count();
    long changed = fingerprint(fresh).exceptAll(fingerprint(stored)).count();
    long removed = fingerprint(stored).exceptAll(fingerprint(fresh)).count();
    return new Plan(day, tenant, fresh, rows, changed, removed);
  }

  @Override
  public long write(Plan plan) {
    if (plan.differs()) {
      plan.fresh().write().format("delta").mode("overwrite")
          .option("replaceWhere", "feature_date = DATE'" + plan.day() + "' AND feature_set = '" + spec.id() + "'"
              + plan.tenant().map(t -> " AND tenant_id = '" + t.replace("'", "''") + "'").orElse(""))
          .save(path);
    }
    CassandraOptions c = o.cassandra();
    // Vectors already past their serving TTL are not brought back.
    Timestamp expired = Timestamp.from(Instant.now().minus(o.features().onlineTtl()));
    FeatureStore.replaceOnline(plan.fresh().where(col("feature_time").gt(lit(expired))), spec, c.connector(),
        c.keyspace(), o.features().onlineTtl());
    return plan.differs() ? plan.rows() : 0;
  }

  @Override
  public void release(Plan plan) {
    plan.fresh().unpersist();
  }

  /** A feature row's identity and values, rounded past floating-point noise. */
  private Dataset<Row> fingerprint(Dataset<Row> rows) {
    String[] cols = new String[spec.names().size() + 3];
    cols[0] = "tenant_id";
    cols[1] = "event_id";
    cols[2] = "feature_time";
    for (int i = 0; i < spec.names().size(); i++) {
      cols[i + 3] = "round(" + spec.names().get(i) + ", 6)";
    }
    return rows.selectExpr(cols);
  }

  private Column scope(LocalDate day, Optional<String> tenant) {
    Column c = col("feature_date").equalTo(lit(java.sql.Date.valueOf(day))).and(col("feature_set").equalTo(spec.id()));
    return tenant.map(t -> c.and(col("tenant_id").equalTo(t))).orElse(c);
  }
}
