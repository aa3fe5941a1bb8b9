package io.iotpipe.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.max;

import io.delta.tables.DeltaTable;
import io.iotpipe.config.OptionKey;
import io.iotpipe.delta.TableSpec;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Trained models and which one is published: a Delta table {@code model_registry} (one row per
 * version: where the model is, its feature set and feature list, its threshold and test metrics,
 * and when it was published) next to the model files under the model root. Delta makes
 * registering and publishing transactional; the published model is the one published last.
 */
public final class ModelRegistry {
  public static final StructType SCHEMA = new StructType()
      .add("version", DataTypes.IntegerType)
      .add("created_at", DataTypes.TimestampType)
      .add("path", DataTypes.StringType)
      .add("feature_set", DataTypes.StringType)
      .add("feature_names", DataTypes.createArrayType(DataTypes.StringType))
      .add("threshold", DataTypes.DoubleType)
      .add("precision", DataTypes.DoubleType)
      .add("recall", DataTypes.DoubleType)
      .add("f1", DataTypes.DoubleType)
      .add("auc", DataTypes.DoubleType)
      .add("train_rows", DataTypes.LongType)
      .add("test_rows", DataTypes.LongType)
      .add("published_at", DataTypes.TimestampType);

  public static final TableSpec TABLE = new TableSpec("model_registry", SCHEMA, List.of());

  public static final OptionKey<String> ROOT = OptionKey.location("models.root", null,
      "folder or URI under which each model version is saved (v1, v2, ...)");

  /** One registered model. */
  public record Entry(int version, Instant createdAt, String path, String featureSet, List<String> featureNames,
      double threshold, AnomalyModel.Metrics metrics, long trainRows, long testRows, Instant publishedAt) {}

  private final SparkSession spark;
  private final String tablePath;
  private final String modelRoot;

  public ModelRegistry(SparkSession spark, io.iotpipe.delta.StorageOptions storage, String modelRoot) {
    this.spark = spark;
    this.tablePath = storage.table(TABLE);
    this.modelRoot = modelRoot.endsWith("/") ? modelRoot : modelRoot + "/";
    TABLE.createIfMissing(spark, storage);
  }

  /** The model published last, if any. */
  public Optional<Entry> published() {
    List<Row> rows = spark.read().format("delta").load(tablePath).where(col("published_at").isNotNull())
        .orderBy(col("published_at").desc(), col("version").desc()).limit(1).collectAsList();
    return rows.stream().findFirst().map(ModelRegistry::entry);
  }

  public Optional<Entry> get(int version) {
    return spark.read().format("delta").load(tablePath).where(col("version").equalTo(version)).collectAsList()
        .stream().findFirst().map(ModelRegistry::entry);
  }

  public int nextVersion() {
    Row r = spark.read().format("delta").load(tablePath).agg(max("version")).first();
    return r.isNullAt(0) ? 1 : r.getInt(0) + 1;
  }

  public String pathFor(int version) {
    return modelRoot + "v" + version;
  }

  /** Saves the model files and registers the version (not published). */
  public Entry register(int version, PipelineModel model, String featureSet, List<String> featureNames,
      double threshold, AnomalyModel.Metrics m, long trainRows, long testRows) throws java.io.IOException {
    String path = pathFor(version);
    model.write().save(path);
    Instant now = Instant.now();
    Row row = RowFactory.create(version, Timestamp.from(now), path, featureSet,
        scala.collection.JavaConverters.asScalaBuffer(featureNames).toSeq(), threshold, m.precision(), m.recall(),
        m.f1(), m.auc(), trainRows, testRows, null);
    spark.createDataFrame(List.of(row), SCHEMA).write().format("delta").mode("append").save(tablePath);
    return new Entry(version, now, path, featureSet, featureNames, threshold, m, trainRows, testRows, null);
  }

  /** Makes {@code version} the published model. */
  public void publish(int version) {
    DeltaTable.forPath(spark, tablePath).update(col("version").equalTo(version),
        Map.of("published_at", current_timestamp()));
  }

  public static PipelineModel load(Entry e) {
    return PipelineModel.load(e.path());
  }

  private static Entry entry(Row r) {
    List<String> names = r.getList(r.fieldIndex("feature_names"));
    Timestamp published = r.getAs("published_at");
    return new Entry(r.getAs("version"), r.<Timestamp>getAs("created_at").toInstant(), r.getAs("path"),
        r.getAs("feature_set"), names, r.getAs("threshold"),
        new AnomalyModel.Metrics(r.getAs("precision"), r.getAs("recall"), r.getAs("f1"), r.getAs("auc"), 0, 0, 0),
        r.getAs("train_rows"), r.getAs("test_rows"), published == null ? null : published.toInstant());
  }
}
