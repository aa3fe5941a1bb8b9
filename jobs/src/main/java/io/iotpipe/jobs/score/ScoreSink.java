package io.iotpipe.jobs.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotpipe.delta.DeltaAppend;
import io.iotpipe.event.EventParser;
import io.iotpipe.features.FeatureComputation;
import io.iotpipe.kafka.TransactionalPublisher;
import io.iotpipe.ml.Alerts;
import io.iotpipe.ml.AnomalyModel;
import io.iotpipe.ml.ModelRegistry;
import io.iotpipe.spark.MicroBatch;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * Scores one micro-batch of feature rows with the published model and writes the alerts to Delta,
 * Cassandra and Kafka, each exactly once. The model version of each batch is recorded before
 * scoring, so that a replayed batch uses the same model; a newly published version is picked up
 * by the next batch, without a restart.
 */
final class ScoreSink implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a batch did. */
  record Counts(long scored, long alerts, int modelVersion) {}

  interface Listener extends java.io.Serializable {
    void batch(long batchId, Counts counts);
  }

  /** A step between the writes, replaceable in tests to inject a crash. */
  @FunctionalInterface
  interface Step extends java.io.Serializable {
    void run(long batchId) throws Exception;
  }

  static final Step NO_STEP = batchId -> {};

  private final ScoreOptions o;
  private final Map<String, String> cassandraWrite;
  private final Listener listener;
  private final Step beforeKafka;
  private transient ModelRegistry registry;
  private transient Map<Integer, PipelineModel> models;
  private transient TransactionalPublisher publisher;

  ScoreSink(ScoreOptions o, Map<String, String> cassandraWrite, Listener listener, Step beforeKafka) {
    this.o = o;
    this.cassandraWrite = Map.copyOf(cassandraWrite);
    this.listener = listener;
    this.beforeKafka = beforeKafka;
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) throws Exception {
    SparkSession spark = batch.sparkSession();
    String queryId = MicroBatch.queryId(spark);
    if (registry == null) {
      registry = new ModelRegistry(spark, o.storage(), o.modelsRoot());
      models = new HashMap<>();
    }
    Optional<ModelRegistry.Entry> model = modelOfBatch(spark, queryId, batchId).flatMap(registry::get);
    if (model.isEmpty()) {
      listener.batch(batchId, new Counts(0, 0, 0));
      return;
    }
    ModelRegistry.Entry entry = model.get();
    PipelineModel pipeline = models.computeIfAbsent(entry.version(), v -> ModelRegistry.load(entry));
    // The model's input vector from the stored feature columns, in the order it was trained on.
    Dataset<Row> rows = batch.where(col("feature_set").equalTo(entry.featureSet()))
        .withColumn(FeatureComputation.VECTOR, FeatureComputation.vector(entry.featureNames()));
    Dataset<Row> scored = AnomalyModel.score(pipeline, rows).cache();
    try {
      long count = scored.count();
      // Alerts are the rare high scores: few enough to explain and publish from the driver.
      List<Row> high = scored.where(col(AnomalyModel.SCORE).geq(entry.threshold()))
          .select("tenant_id", "device_id", "event_id", "feature_time", AnomalyModel.SCORE, FeatureComputation.VECTOR)
          .collectAsList();
      List<Row> alerts = new ArrayList<>();
      for (Row r : high) {
        List<String> top = AnomalyModel.topContributions(pipeline, entry.featureNames(), r.<Vector>getAs(5), 3);
        alerts.add(RowFactory.create(r.getString(0), r.getString(1), r.getString(2), r.getTimestamp(3), r.getDouble(4),
            entry.threshold(), entry.version(), scala.collection.JavaConverters.asScalaBuffer(top).toSeq(), null));
      }
      if (!alerts.isEmpty()) {
        write(spark, alerts, entry, queryId, batchId);
      }
      listener.batch(batchId, new Counts(count, alerts.size(), entry.version()));
    } finally {
      scored.unpersist();
    }
  }

  private void write(SparkSession spark, List<Row> alerts, ModelRegistry.Entry entry, String queryId, long batchId)
      throws Exception {
    Dataset<Row> df = spark.createDataFrame(alerts, Alerts.SCHEMA)
        .withColumn("alert_date", EventParser.utcDate(col("alert_time")));
    DeltaAppend.once(df, o.storage().table(Alerts.TABLE), "iotpipe-score-" + queryId, batchId);
    df.select(col("tenant_id"), col("alert_date").as("day"), col("alert_time"), col("device_id"), col("event_id"),
            col("score"), col("threshold"), col("model_version"), col("top_features"), current_timestamp().as("updated_at"))
        .write().format("org.apache.spark.sql.cassandra").options(cassandraWrite).mode("append").save();
    beforeKafka.run(batchId);
    List<ProducerRecord<String, String>> records = new ArrayList<>();
    for (Row a : alerts) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("tenant_id", a.getString(0));
      json.put("device_id", a.getString(1));
      json.put("event_id", a.getString(2));
      json.put("alert_time", a.<Timestamp>getAs(3).toInstant().toString());
      json.put("score", a.getDouble(4));
      json.put("threshold", a.getDouble(5));
      json.put("model_version", a.getInt(6));
      json.put("top_features", a.getList(7));
      records.add(new ProducerRecord<>(o.alertsTopic(), a.getString(0) + "/" + a.getString(1),
          JSON.writeValueAsString(json)));
    }
    try {
      if (publisher == null) {
        publisher = new TransactionalPublisher(o.kafka(), o.alertsTopic(), "iotpipe-score-" + queryId);
      }
      publisher.publish(batchId, records);
    } catch (Exception e) {
      // A producer that failed mid-transaction is unusable; the next attempt starts a new one,
      // whose initialization aborts what this one left open.
      if (publisher != null) {
        publisher.close();
        publisher = null;
      }
      throw e;
    }
  }

  /**
   * The model version of this batch: recorded in score_batches the first time the batch runs
   * (the published one then), read back when it is replayed. Empty while nothing is published.
   */
  private Optional<Integer> modelOfBatch(SparkSession spark, String queryId, long batchId) {
    String path = o.storage().table(Alerts.SCORE_BATCHES);
    List<Row> recorded = spark.read().format("delta").load(path)
        .where(col("query_id").equalTo(queryId).and(col("batch_id").equalTo(batchId))).collectAsList();
    if (!recorded.isEmpty()) {
      int v = recorded.get(0).getInt(2);
      return v == 0 ? Optional.empty() : Optional.of(v);
    }
    int version = registry.published().map(ModelRegistry.Entry::version).orElse(0);
    DeltaAppend.once(spark.createDataFrame(List.of(RowFactory.create(queryId, batchId, version)),
        Alerts.SCORE_BATCHES.schema()), path, "iotpipe-score-batches-" + queryId, batchId);
    return version == 0 ? Optional.empty() : Optional.of(version);
  }
}
