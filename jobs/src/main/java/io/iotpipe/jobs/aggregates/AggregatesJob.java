package io.iotpipe.jobs.aggregates;

import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;

import com.datastax.oss.driver.api.core.CqlSession;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.AggregationSpec;
import io.iotpipe.aggregate.WindowAggregation;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.cassandra.CassandraSchema;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.EventParser;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.jobs.Job;
import io.iotpipe.kafka.KafkaSource;
import io.iotpipe.spark.SparkSessions;
import io.iotpipe.spark.StreamingQueries;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job {@code aggregates}: Kafka → parse, validate and deduplicate (the same code as every job) →
 * event-time tumbling windows of every metric per device and per tenant (fleet) → Cassandra
 * serving tables (as windows change) and Delta {@code aggregates} (once final); late events →
 * Delta {@code late_events}. See its README.
 */
public final class AggregatesJob implements Job {
  public static final String QUERY_NAME = "aggregates";
  private static final Logger LOG = LoggerFactory.getLogger(AggregatesJob.class);

  @Override
  public String name() {
    return "aggregates";
  }

  @Override
  public String description() {
    return "windowed aggregates per device and fleet -> Cassandra (live) and Delta (final); late events recorded";
  }

  @Override
  public List<OptionKey<?>> options() {
    return AggregatesOptions.keys();
  }

  /**
   * The pipeline: Kafka records → valid events (the parser of every job) → deduplicated (the
   * deduplication of every job, {@link EventDedup}) → the windows a micro-batch changed and its
   * late events ({@link WindowAggregation#stream}, update mode). Observed per batch: records,
   * valid ones ({@code aggregates_input}), duplicates ({@code aggregates_duplicates}) and late events
   * ({@code aggregates_late}).
   */
  public static Dataset<Row> pipeline(Dataset<Row> kafkaRecords, ValidationLimits limits, EventDedup.Options dedup,
      AggregationSpec spec) {
    Dataset<Row> parsed = EventParser.parse(kafkaRecords, limits)
        .observe("aggregates_input", count_if(EventParser.isValid()), count_if(lit(true)));
    Dataset<Row> events = EventDedup.distinctValidEvents(parsed, dedup, spec.allowedLateness(), "aggregates_duplicates")
        .observe("aggregates_late", count_if(WindowAggregation.isLate(spec)));
    return WindowAggregation.stream(events, spec);
  }

  static StreamingQuery start(Dataset<Row> kafkaRecords, AggregatesSink sink, AggregatesOptions o)
      throws TimeoutException {
    return StreamingQueries.start(pipeline(kafkaRecords, o.limits(), o.dedup(), o.spec()), QUERY_NAME, o.stream(),
        sink, OutputMode.Update());
  }

  /** A started aggregates query and its accounting. */
  public record Running(StreamingQuery query, AggregatesProgress progress) {
    /** The totals of this run; call after the query ended. */
    public AggregatesProgress.Totals totals() throws InterruptedException {
      progress.settle(query);
      return progress.totals();
    }
  }


  /** Migrates the Cassandra schema, creates the Delta tables and starts the query. */
  public static Running startFromOptions(SparkSession spark, AggregatesOptions o) throws TimeoutException {
    return startFromOptions(spark, o, AggregatesSink.NO_STEP);
  }

  static Running startFromOptions(SparkSession spark, AggregatesOptions o, AggregatesSink.Step beforeFinals)
      throws TimeoutException {
    CassandraOptions c = o.cassandra();
    try (CqlSession session = c.openSession()) {
      List<String> applied = CassandraSchema.migrate(session, c);
      if (!applied.isEmpty()) {
        LOG.info("aggregates: applied Cassandra migrations {} to keyspace {}", applied, c.keyspace());
      }
    }
    AggregateTables.AGGREGATES.createIfMissing(spark, o.storage());
    AggregateTables.LATE_EVENTS.createIfMissing(spark, o.storage());
    WindowServing serving = new WindowServing(c.connector(), c.keyspace(), o.deviceWindowsTtl(), o.fleetWindowsTtl());

    AggregatesProgress progress = new AggregatesProgress(QUERY_NAME);
    spark.streams().addListener(progress);
    AggregatesSink sink = new AggregatesSink(o.stream().checkpoint(), o.storage().table(AggregateTables.AGGREGATES),
        o.storage().table(AggregateTables.LATE_EVENTS), o.spec(), serving, progress, beforeFinals);
    StreamingQuery query = start(KafkaSource.stream(spark, o.kafka(), o.stream()), sink, o);
    LOG.info("aggregates: reading {} (trigger {}), windows {} with allowed lateness {}, writing Cassandra {}.{{},{}} "
            + "and Delta {}, checkpoint {}", o.kafka().eventsTopic(), o.stream().trigger(), o.spec().windowSizes(),
        o.spec().allowedLateness(), c.keyspace(), WindowServing.DEVICE_TABLE, WindowServing.FLEET_TABLE,
        o.storage().table(AggregateTables.AGGREGATES), o.stream().checkpoint());
    return new Running(query, progress);
  }

  @Override
  public int run(Settings settings) throws Exception {
    AggregatesOptions o = AggregatesOptions.from(settings);
    KafkaSource.requireTopic(o.kafka());
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-aggregates", settings.withPrefix("spark."));
    Running running = startFromOptions(spark, o);
    StreamingQueries.runUntilStopped(running.query());
    AggregatesProgress.Totals t = running.totals();
    LOG.info("aggregates: finished: {} windows closed ({} fleet), {} late events, {} duplicates",
        t.windowsClosed(), t.fleetWindowsClosed(), t.lateEvents(), t.duplicates());
    return t.droppedByWatermark() == 0 ? 0 : 1;
  }
}
