package io.iotpipe.jobs.backfill;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.xxhash64;

import com.datastax.oss.driver.api.core.CqlSession;
import io.delta.tables.DeltaTable;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.cassandra.CassandraSchema;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.event.EventFields;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.jobs.Job;
import io.iotpipe.spark.SparkSessions;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch job {@code backfill}: recomputes aggregates and features of a range of days from the
 * Delta {@code events} table with the streaming jobs' own functions, replaces those days in Delta
 * and upserts Cassandra. Each finished day is recorded with a digest of its input, so a second
 * run skips every day whose events did not change, and an interrupted run redoes only the days
 * it had not finished.
 */
public final class BackfillJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger(BackfillJob.class);

  @Override
  public String name() {
    return "backfill";
  }

  @Override
  public String description() {
    return "recompute aggregates and features of past days from the events table (idempotent, resumable)";
  }

  @Override
  public List<OptionKey<?>> options() {
    return BackfillOptions.keys();
  }

  /** What happened to one output of one day. */
  public enum Action {
    /** The input has the digest it had when the day was last recomputed: nothing to do. */
    UNCHANGED,
    /** Recomputed; the stores held it already (Cassandra upserted, Delta left as it was). */
    VERIFIED,
    /** Recomputed and replaced in Delta, upserted in Cassandra. */
    REPLACED,
    /** Dry run: recomputed and compared, nothing written. */
    PLANNED
  }

  public record DayResult(String output, LocalDate day, Action action, long inputEvents, long rows, long changed,
      long removed, long rowsWritten) {}

  /** Called after each finished output-day (tests use it to interrupt a run). */
  public interface AfterDay {
    void done(DayResult r) throws Exception;
  }

  public record Result(long eventsVersion, List<DayResult> days) {
    public long rowsWritten() {
      return days.stream().mapToLong(DayResult::rowsWritten).sum();
    }

    public long count(Action a) {
      return days.stream().filter(d -> d.action() == a).count();
    }
  }

  public static Result backfill(SparkSession spark, BackfillOptions o) throws Exception {
    return backfill(spark, o, r -> {});
  }

  public static Result backfill(SparkSession spark, BackfillOptions o, AfterDay afterDay) throws Exception {
    String eventsPath = o.storage().table(TableSpec.EVENTS);
    if (!DeltaTable.isDeltaTable(spark, eventsPath)) {
      throw new IllegalStateException("no events table at " + eventsPath + ": run the ingest job first");
    }
    // One snapshot of the events for the whole run: a digest and the output it recorded always
    // come from the same events, however the ingest job appends meanwhile.
    long version = DeltaTable.forPath(spark, eventsPath).history(1).first().getLong(0);
    Dataset<Row> events = spark.read().format("delta").option("versionAsOf", version).load(eventsPath);
    if (o.tenant().isPresent()) {
      events = events.where(col(EventFields.TENANT_ID).equalTo(o.tenant().get()));
    }

    List<BackfillOutput> outputs = new ArrayList<>();
    for (String j : o.jobs()) {
      outputs.add(j.equals("aggregates") ? new AggregatesBackfill(spark, o) : new FeaturesBackfill(spark, o));
    }
    BackfillLog log = new BackfillLog(spark, o.storage(), !o.dryRun());
    if (!o.dryRun()) {
      prepareStores(spark, o);
    }
    String scope = o.tenant().orElse("*");
    List<LocalDate> days = o.days();
    LOG.info("backfill: {} day(s) {}..{}, outputs {}, tenant {}, events table version {}{}", days.size(), o.from(),
        o.to(), o.jobs(), scope, version, o.dryRun() ? " (DRY RUN: nothing is written)" : "");
    List<DayResult> results = new ArrayList<>();
    long written = 0;
    for (int i = 0; i < days.size(); i++) {
      LocalDate day = days.get(i);
      for (BackfillOutput out : outputs) {
        Dataset<Row> input = events.where(out.input(day));
        Row d = input.agg(count(lit(1)), sum(xxhash64(col(EventFields.TENANT_ID), col(EventFields.DEVICE_ID),
            col(EventFields.EVENT_ID), col(EventFields.EVENT_TIME), to_json(col(EventFields.METRICS)))
            .cast("decimal(38,0)"))).first();
        long inputEvents = d.getLong(0);
        String digest = inputEvents + ":" + (d.isNullAt(1) ? "0" : d.getDecimal(1).toPlainString());
        DayResult r;
        if (log.lastDigest(out.name(), day, scope, out.definitions()).filter(digest::equals).isPresent()) {
          r = new DayResult(out.name(), day, Action.UNCHANGED, inputEvents, 0, 0, 0, 0);
        } else {
          BackfillOutput.Plan plan = out.plan(input, day, o.tenant());
          try {
            if (o.dryRun()) {
              r = new DayResult(out.name(), day, Action.PLANNED, inputEvents, plan.rows(), plan.changed(),
                  plan.removed(), 0);
            } else {
              long rows = out.write(plan);
              log.record(out.name(), day, scope, out.definitions(), digest, version, rows);
              r = new DayResult(out.name(), day, plan.differs() ? Action.REPLACED : Action.VERIFIED, inputEvents,
                  plan.rows(), plan.changed(), plan.removed(), rows);
            }
          } finally {
            out.release(plan); // the day's cached data, also when its write failed
          }
        }
        written += r.rowsWritten();
        results.add(r);
        LOG.info("backfill: day {} of {} ({}) {}: {}; {} rows written so far", i + 1, days.size(), day, out.name(),
            describe(r), String.format("%,d", written));
        if (o.dryRun()) {
          System.out.println("DRY RUN " + out.name() + " " + day + ": " + describe(r));
        }
        afterDay.done(r);
      }
    }
    Result result = new Result(version, results);
    LOG.info("backfill: {} day(s) done: {} output-days replaced, {} verified, {} unchanged, {} planned; {} rows "
            + "written", days.size(), result.count(Action.REPLACED), result.count(Action.VERIFIED),
        result.count(Action.UNCHANGED), result.count(Action.PLANNED), String.format("%,d", result.rowsWritten()));
    return result;
  }

  static String describe(DayResult r) {
    return switch (r.action()) {
      case UNCHANGED -> String.format("unchanged (%,d input events, as at the last backfill)", r.inputEvents());
      case VERIFIED -> String.format("%,d rows recomputed from %,d events, equal to the stored ones", r.rows(),
          r.inputEvents());
      case REPLACED -> String.format("%,d rows recomputed from %,d events and written: %,d new or changed, %,d "
          + "stored rows replaced or removed", r.rows(), r.inputEvents(), r.changed(), r.removed());
      case PLANNED -> r.changed() == 0 && r.removed() == 0
          ? String.format("%,d rows recomputed from %,d events, equal to the stored ones: would only refresh Cassandra",
              r.rows(), r.inputEvents())
          : String.format("would write %,d rows recomputed from %,d events: %,d new or changed, %,d stored rows "
              + "replaced or removed", r.rows(), r.inputEvents(), r.changed(), r.removed());
    };
  }

  /** Migrates the Cassandra schema and creates the Delta tables the outputs replace days of. */
  private static void prepareStores(SparkSession spark, BackfillOptions o) {
    try (CqlSession session = o.cassandra().openSession()) {
      List<String> applied = CassandraSchema.migrate(session, o.cassandra());
      if (!applied.isEmpty()) {
        LOG.info("backfill: applied Cassandra migrations {} to keyspace {}", applied, o.cassandra().keyspace());
      }
    }
    AggregateTables.AGGREGATES.createIfMissing(spark, o.storage());
    FeatureStore.offline(o.features().spec()).createIfMissing(spark, o.storage());
  }

  @Override
  public int run(Settings settings) throws Exception {
    BackfillOptions o = BackfillOptions.from(settings);
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-backfill", settings.withPrefix("spark."));
    Result r = backfill(spark, o);
    System.out.printf("BACKFILL {\"from\":\"%s\",\"to\":\"%s\",\"dry_run\":%s,\"events_version\":%d,\"replaced\":%d,"
            + "\"verified\":%d,\"unchanged\":%d,\"planned\":%d,\"rows_written\":%d}%n", o.from(), o.to(), o.dryRun(),
        r.eventsVersion(), r.count(Action.REPLACED), r.count(Action.VERIFIED), r.count(Action.UNCHANGED),
        r.count(Action.PLANNED), r.rowsWritten());
    return 0;
  }
}
