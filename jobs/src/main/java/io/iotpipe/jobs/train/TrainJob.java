package io.iotpipe.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.features.FeatureComputation;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.features.PointInTime;
import io.iotpipe.jobs.Job;
import io.iotpipe.ml.AnomalyModel;
import io.iotpipe.ml.ModelRegistry;
import io.iotpipe.ml.Publication;
import io.iotpipe.spark.SparkSessions;
import java.sql.Timestamp;
import java.util.List;
import java.util.Optional;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch job {@code train}: labels every event (spike or not, from the simulator's ground truth),
 * joins each label point-in-time to the offline feature store, trains the anomaly model on the
 * earlier part of the time range, evaluates it on the later part, registers it, and publishes it
 * unless it scores worse than the published model. Exit code 0: published; 3: trained and
 * registered but not published.
 */
public final class TrainJob implements Job {
  public static final int NOT_PUBLISHED = 3;
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

  @Override
  public String name() {
    return "train";
  }

  @Override
  public String description() {
    return "train, evaluate and register the anomaly model from the offline feature store; publish if not worse";
  }

  @Override
  public List<OptionKey<?>> options() {
    return TrainOptions.keys();
  }

  /** What a training run produced. */
  public record Result(ModelRegistry.Entry model, AnomalyModel.Metrics metrics, long trainRows, long testRows,
      long testAnomalies, Publication publication) {}

  /**
   * The labelled training rows: every event of the events table, label 1 for the simulator's spikes, with its
   * features (the named columns and, assembled from them, the model's input vector).
   */
  public static Dataset<Row> trainingSet(SparkSession spark, TrainOptions o) {
    Dataset<Row> spikes = spark.read().json(o.truthFile())
        .where(col("type").equalTo("anomaly").and(col("kind").equalTo("spike")))
        .select(col("event_id").as("spike_event_id")).distinct();
    Dataset<Row> events = spark.read().format("delta").load(o.storage().table(TableSpec.EVENTS));
    Dataset<Row> labels = events.join(spikes, events.col("event_id").equalTo(spikes.col("spike_event_id")), "left")
        .select(col("tenant_id"), col("device_id"), col("event_id").as("label_event_id"),
            col("event_time").as("label_time"),
            when(col("spike_event_id").isNotNull(), lit(1.0)).otherwise(lit(0.0)).as(AnomalyModel.LABEL));
    Dataset<Row> features = spark.read().format("delta").load(o.storage().table(FeatureStore.offline(o.spec())))
        .where(col("feature_set").equalTo(o.spec().id()));
    return PointInTime.join(labels, "label_time", features, o.maxFeatureAge())
        .withColumn(FeatureComputation.VECTOR, FeatureComputation.vector(o.spec().names()));
  }

  public static Result train(SparkSession spark, TrainOptions o) throws java.io.IOException {
    Dataset<Row> all = trainingSet(spark, o).cache();
    Row range = all.agg(min("label_time"), max("label_time")).first();
    if (range.isNullAt(0)) {
      throw new IllegalStateException("no labelled feature rows: run the features job over the events first");
    }
    long from = range.getTimestamp(0).getTime();
    long to = range.getTimestamp(1).getTime();
    Timestamp split = new Timestamp(from + (long) ((to - from) * (1 - o.testFraction())));
    Dataset<Row> train = all.where(col("label_time").lt(split));
    Dataset<Row> test = all.where(col("label_time").geq(split)).cache();
    long trainRows = train.count();
    long testRows = test.count();
    long testAnomalies = test.where(col(AnomalyModel.LABEL).equalTo(1.0)).count();
    LOG.info("train: {} labelled rows before {} for training, {} after it for testing ({} anomalies)", trainRows,
        split.toInstant(), testRows, testAnomalies);

    PipelineModel model = AnomalyModel.train(train, o.maxIterations());
    double threshold = AnomalyModel.bestThreshold(AnomalyModel.score(model, train));
    AnomalyModel.Metrics m = AnomalyModel.evaluate(model, test, threshold);

    ModelRegistry registry = new ModelRegistry(spark, o.storage(), o.modelsRoot());
    Optional<ModelRegistry.Entry> published = registry.published();
    AnomalyModel.Metrics publishedOnThisTest = published
        .filter(p -> p.featureSet().equals(o.spec().id()))
        .map(p -> AnomalyModel.evaluate(ModelRegistry.load(p), test, p.threshold()))
        .orElse(null);
    Publication decision = Publication.decide(m, publishedOnThisTest, o.force());
    ModelRegistry.Entry entry = registry.register(registry.nextVersion(), model, o.spec().id(), o.spec().names(),
        threshold, m, trainRows, testRows);
    if (decision.publish()) {
      registry.publish(entry.version());
    }
    LOG.info(String.format("train: model v%d (threshold %.2f): precision %.3f, recall %.3f, F1 %.3f, ROC AUC %.4f "
            + "on the held-out later %d rows; %s; %s", entry.version(), threshold, m.precision(), m.recall(), m.f1(),
        m.auc(), testRows, decision.publish() ? "PUBLISHED" : "NOT PUBLISHED", decision.reason()));
    all.unpersist();
    test.unpersist();
    return new Result(entry, m, trainRows, testRows, testAnomalies, decision);
  }

  @Override
  public int run(Settings settings) throws Exception {
    TrainOptions o = TrainOptions.from(settings);
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-train", settings.withPrefix("spark."));
    return train(spark, o).publication().publish() ? 0 : NOT_PUBLISHED;
  }
}
