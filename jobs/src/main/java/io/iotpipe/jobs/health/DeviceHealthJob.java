package io.iotpipe.jobs.health;

import com.datastax.oss.driver.api.core.CqlSession;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.cassandra.CassandraSchema;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.EventParser;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.health.DeviceHealth;
import io.iotpipe.health.HealthRules;
import io.iotpipe.health.HealthStore;
import io.iotpipe.jobs.Job;
import io.iotpipe.kafka.KafkaSource;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.spark.SparkSessions;
import io.iotpipe.spark.StreamingQueries;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job {@code device-health}: Kafka → parse, validate and deduplicate (the same code as every job)
 * → per-device health state machine and declarative rules → transitions and alarms to Cassandra,
 * Delta and Kafka. See its README.
 */
public final class DeviceHealthJob implements Job {
  public static final String QUERY_NAME = "device_health";
  private static final Logger LOG = LoggerFactory.getLogger(DeviceHealthJob.class);

  @Override
  public String name() {
    return "device-health";
  }

  @Override
  public String description() {
    return "per-device health state machine and alarm rules -> Cassandra, Delta and Kafka; detects silent devices";
  }

  @Override
  public List<OptionKey<?>> options() {
    return DeviceHealthOptions.keys();
  }

  /** A started device-health query and its accounting. */
  public record Running(StreamingQuery query, DeviceHealthProgress progress) {
    public DeviceHealthProgress.Totals totals() throws InterruptedException {
      progress.settle(query);
      return progress.totals();
    }
  }

  /**
   * The pipeline: Kafka records → valid events (the parser of every job) → deduplicated (the
   * deduplication of every job, {@link EventDedup}; duplicates counted in the observation
   * {@code device_health_duplicates}) → transitions, alarms and late markers ({@link DeviceHealth#stream}).
   */
  public static Dataset<Row> pipeline(Dataset<Row> kafkaRecords, ValidationLimits limits, EventDedup.Options dedup,
      HealthRules rules, Duration allowedLateness) {
    Dataset<Row> events = EventDedup.distinctValidEvents(EventParser.parse(kafkaRecords, limits), dedup,
        allowedLateness, DUPLICATES_OBSERVATION);
    return DeviceHealth.stream(events, rules, allowedLateness);
  }

  static final String DUPLICATES_OBSERVATION = "device_health_duplicates";

  public static Running startFromOptions(SparkSession spark, DeviceHealthOptions o) throws TimeoutException {
    return startFromOptions(spark, o, DeviceHealthSink.NO_STEP);
  }

  static Running startFromOptions(SparkSession spark, DeviceHealthOptions o, DeviceHealthSink.Step beforeKafka)
      throws TimeoutException {
    CassandraOptions c = o.cassandra();
    try (CqlSession session = c.openSession()) {
      CassandraSchema.migrate(session, c);
    }
    KafkaRecordSink.createTopicIfMissing(o.kafka(), o.topic(), 1);
    HealthStore.HISTORY.createIfMissing(spark, o.storage());
    DeviceHealthProgress progress = new DeviceHealthProgress(QUERY_NAME);
    spark.streams().addListener(progress);
    Dataset<Row> kafka = KafkaSource.stream(spark, o.kafka(), o.stream());
    DeviceHealthSink sink = new DeviceHealthSink(o.storage().table(HealthStore.HISTORY), c.connector(), c.keyspace(),
        (int) o.ttl().toSeconds(), o.kafka(), o.topic(), progress, beforeKafka);
    StreamingQuery query = StreamingQueries.start(
        pipeline(kafka, o.limits(), o.dedup(), o.rules(), o.allowedLateness()), QUERY_NAME, o.stream(), sink);
    LOG.info("device-health: reading {} (trigger {}), {} rules, inactivity {} by default, writing Cassandra {}.{{},{},{}}, "
            + "Delta {} and Kafka topic {}", o.kafka().eventsTopic(), o.stream().trigger(), o.rules().rules().size(),
        o.rules().defaultInactivity(), c.keyspace(), HealthStore.STATUS, HealthStore.TRANSITIONS, HealthStore.ALARMS,
        o.storage().table(HealthStore.HISTORY), o.topic());
    return new Running(query, progress);
  }

  @Override
  public int run(Settings settings) throws Exception {
    DeviceHealthOptions o = DeviceHealthOptions.from(settings);
    KafkaSource.requireTopic(o.kafka());
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-device-health", settings.withPrefix("spark."));
    Running running = startFromOptions(spark, o);
    if (o.stream().trigger().availableNow()) {
      stopWhenConsumed(running.query(), o);
    }
    StreamingQueries.runUntilStopped(running.query());
    return 0;
  }

  /**
   * Stops an available-now query once it has read what the topic held when it started. With the
   * processing-time timeouts of the offline detection, Spark runs another micro-batch at every
   * trigger, so such a query would never end by itself.
   */
  private static void stopWhenConsumed(StreamingQuery query, DeviceHealthOptions o) {
    Thread stopper = new Thread(() -> {
      try {
        KafkaSource.awaitConsumed(query, o.kafka(), Duration.ofDays(365));
        query.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        // The query failed or was stopped: runUntilStopped reports it.
        LOG.debug("device-health: not stopping the available-now query", e);
      }
    }, "device-health-available-now");
    stopper.setDaemon(true);
    stopper.start();
  }
}
