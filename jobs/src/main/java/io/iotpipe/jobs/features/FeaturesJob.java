package io.iotpipe.jobs.features;

import com.datastax.oss.driver.api.core.CqlSession;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.cassandra.CassandraSchema;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.EventParser;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.features.FeatureComputation;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.jobs.Job;
import io.iotpipe.kafka.KafkaSource;
import io.iotpipe.spark.SparkSessions;
import io.iotpipe.spark.StreamingQueries;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job {@code features}: Kafka → parse, validate and deduplicate (the same code as every job) →
 * rolling feature vectors per device event → offline store (Delta {@code features}) and online
 * store (Cassandra {@code device_features}).
 */
public final class FeaturesJob implements Job {
  public static final String QUERY_NAME = "features";
  private static final Logger LOG = LoggerFactory.getLogger(FeaturesJob.class);

  @Override
  public String name() {
    return "features";
  }

  @Override
  public String description() {
    return "rolling ML feature vectors per device -> Delta offline store and Cassandra online store";
  }

  @Override
  public List<OptionKey<?>> options() {
    return FeaturesOptions.keys();
  }

  /** A started features query and its accounting. */
  public record Running(StreamingQuery query, FeaturesProgress progress) {
    public FeaturesProgress.Totals totals() throws InterruptedException {
      progress.settle(query);
      return progress.totals();
    }
  }

  /**
   * The pipeline: Kafka records → valid events (the parser of every job) → deduplicated (the
   * deduplication of every job, {@link EventDedup}; duplicates counted in the observation
   * {@code features_duplicates}) → feature rows and late markers ({@link FeatureComputation#stream}).
   */
  public static Dataset<Row> pipeline(Dataset<Row> kafkaRecords, ValidationLimits limits, EventDedup.Options dedup,
      FeatureSpec spec) {
    Dataset<Row> events = EventDedup.distinctValidEvents(EventParser.parse(kafkaRecords, limits), dedup,
        spec.allowedLateness(), DUPLICATES_OBSERVATION);
    return FeatureComputation.stream(events, spec);
  }

  static final String DUPLICATES_OBSERVATION = "features_duplicates";

  public static Running startFromOptions(SparkSession spark, FeaturesOptions o) throws TimeoutException {
    CassandraOptions c = o.cassandra();
    try (CqlSession session = c.openSession()) {
      CassandraSchema.migrate(session, c);
    }
    String offline = o.storage().table(FeatureStore.offline(o.spec()));
    FeatureStore.offline(o.spec()).createIfMissing(spark, o.storage());
    SparkSessions.writePlainParquet(spark, FeatureComputation.featureValueColumns(o.spec()));

    FeaturesProgress progress = new FeaturesProgress(QUERY_NAME);
    spark.streams().addListener(progress);
    Dataset<Row> kafka = KafkaSource.stream(spark, o.kafka(), o.stream());
    StreamingQuery query = StreamingQueries.start(pipeline(kafka, o.limits(), o.dedup(), o.spec()), QUERY_NAME,
        o.stream(), new FeaturesSink(o.spec(), offline, c.connector(), c.keyspace(), o.onlineTtl(), progress));
    LOG.info("features: reading {} (trigger {}), {} features ({}) over {}, writing {} and Cassandra {}.{}",
        o.kafka().eventsTopic(), o.stream().trigger(), o.spec().names().size(), o.spec().id(), o.spec().horizons(),
        offline, c.keyspace(), FeatureStore.ONLINE_TABLE);
    return new Running(query, progress);
  }

  @Override
  public int run(Settings settings) throws Exception {
    FeaturesOptions o = FeaturesOptions.from(settings);
    KafkaSource.requireTopic(o.kafka());
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-features", settings.withPrefix("spark."));
    Running running = startFromOptions(spark, o);
    StreamingQueries.runUntilStopped(running.query());
    FeaturesProgress.Totals t = running.totals();
    LOG.info("features: finished: {} feature rows, {} late events, {} duplicates", t.features(), t.late(), t.duplicates());
    return t.droppedByWatermark() == 0 ? 0 : 1;
  }
}
