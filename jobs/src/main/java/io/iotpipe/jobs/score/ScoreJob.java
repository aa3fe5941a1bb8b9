package io.iotpipe.jobs.score;

import com.datastax.oss.driver.api.core.CqlSession;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.cassandra.CassandraSchema;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.jobs.Job;
import io.iotpipe.ml.Alerts;
import io.iotpipe.ml.ModelRegistry;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.spark.SparkSessions;
import io.iotpipe.spark.StreamingQueries;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job {@code score}: streams the offline feature store (Delta {@code features}) as feature rows
 * are produced, scores them with the published model, and writes anomaly alerts to Delta,
 * Cassandra and Kafka, each exactly once. See its README.
 */
public final class ScoreJob implements Job {
  public static final String QUERY_NAME = "score";
  private static final Logger LOG = LoggerFactory.getLogger(ScoreJob.class);

  @Override
  public String name() {
    return "score";
  }

  @Override
  public String description() {
    return "score feature vectors as they are produced; alerts -> Delta, Cassandra and Kafka, exactly once";
  }

  @Override
  public List<OptionKey<?>> options() {
    return ScoreOptions.keys();
  }

  /** A started score query and its accounting. */
  public record Running(StreamingQuery query, ScoreProgress progress) {
    public ScoreProgress.Totals totals() throws InterruptedException {
      progress.settle(query);
      return progress.totals();
    }
  }

  public static Running startFromOptions(SparkSession spark, ScoreOptions o) throws TimeoutException {
    return startFromOptions(spark, o, ScoreSink.NO_STEP);
  }

  static Running startFromOptions(SparkSession spark, ScoreOptions o, ScoreSink.Step beforeKafka)
      throws TimeoutException {
    CassandraOptions c = o.cassandra();
    try (CqlSession session = c.openSession()) {
      CassandraSchema.migrate(session, c);
    }
    KafkaRecordSink.createTopicIfMissing(o.kafka(), o.alertsTopic(), 1);
    FeatureStore.offline(o.spec()).createIfMissing(spark, o.storage());
    Alerts.TABLE.createIfMissing(spark, o.storage());
    Alerts.SCORE_BATCHES.createIfMissing(spark, o.storage());
    ModelRegistry.TABLE.createIfMissing(spark, o.storage());
    Map<String, String> cassandraWrite = new HashMap<>(c.sparkConf());
    cassandraWrite.put("keyspace", c.keyspace());
    cassandraWrite.put("table", Alerts.CASSANDRA_TABLE);
    cassandraWrite.put("spark.cassandra.output.ttl", String.valueOf(o.alertsTtl().toSeconds()));

    ScoreProgress progress = new ScoreProgress(QUERY_NAME);
    spark.streams().addListener(progress);
    String features = o.storage().table(FeatureStore.offline(o.spec()));
    DataStreamReader reader = spark.readStream().format("delta");
    // The feature table is a Delta table: the stream's size limit counts its files, and
    // "latest" starts after what is there now.
    o.stream().maxOffsetsPerTrigger().ifPresent(n -> reader.option("maxFilesPerTrigger", n));
    if (o.stream().startingOffsets().equals("latest")) {
      reader.option("startingVersion", "latest");
    }
    Dataset<Row> rows = reader.load(features);
    StreamingQuery query = StreamingQueries.start(rows, QUERY_NAME, o.stream(),
        new ScoreSink(o, cassandraWrite, progress, beforeKafka));
    LOG.info("score: reading {} (trigger {}), alerts to {}, Cassandra {}.{} and Kafka topic {}", features,
        o.stream().trigger(), o.storage().table(Alerts.TABLE), c.keyspace(), Alerts.CASSANDRA_TABLE, o.alertsTopic());
    return new Running(query, progress);
  }

  @Override
  public int run(Settings settings) throws Exception {
    ScoreOptions o = ScoreOptions.from(settings);
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-score", settings.withPrefix("spark."));
    Running running = startFromOptions(spark, o);
    StreamingQueries.runUntilStopped(running.query());
    ScoreProgress.Totals t = running.totals();
    LOG.info("score: finished: {} feature rows scored, {} alerts", t.scored(), t.alerts());
    return 0;
  }
}
