package io.iotpipe.ml;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.iotpipe.features.FeatureComputation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The anomaly model: standardized feature vectors into a class-weighted logistic regression.
 *
 * <p>Why logistic regression: the features already carry the signal in a form a linear model can
 * use (z-scores and their magnitudes per metric and horizon), it trains in seconds on a laptop
 * core, its probability is a usable score, and it can say per alert which features drove the
 * score (coefficient times standardized value), which tree ensembles in MLlib cannot. Spikes are
 * rare, so each class is weighted by the inverse of its frequency.
 */
public final class AnomalyModel {
  public static final String LABEL = "label";
  public static final String SCORE = "score";
  private static final String WEIGHT = "_weight";
  private static final String SCALED = "_scaled";

  private AnomalyModel() {}

  /**
   * Trains on rows with {@value FeatureComputation#VECTOR} ({@link FeatureComputation#vector} of the
   * feature columns) and {@value #LABEL} (0 or 1).
   */
  public static PipelineModel train(Dataset<Row> training) {
    return train(training, 200);
  }

  /** The same with at most {@code maxIterations} optimizer iterations. */
  public static PipelineModel train(Dataset<Row> training, int maxIterations) {
    Row counts = training.agg(count_if(col(LABEL).equalTo(1)), count_if(col(LABEL).equalTo(0))).first();
    long positives = counts.getLong(0);
    long negatives = counts.getLong(1);
    if (positives == 0 || negatives == 0) {
      throw new IllegalArgumentException("the training set needs both classes (" + positives + " anomalies, "
          + negatives + " normal rows)");
    }
    double total = positives + negatives;
    Dataset<Row> weighted = training.withColumn(WEIGHT,
        when(col(LABEL).equalTo(1), lit(total / (2.0 * positives))).otherwise(lit(total / (2.0 * negatives))));
    StandardScaler scaler = new StandardScaler().setInputCol(FeatureComputation.VECTOR).setOutputCol(SCALED)
        .setWithMean(true).setWithStd(true);
    LogisticRegression lr = new LogisticRegression().setFeaturesCol(SCALED).setLabelCol(LABEL).setWeightCol(WEIGHT)
        .setMaxIter(maxIterations).setRegParam(0.001).setElasticNetParam(0.0).setStandardization(false);
    return new Pipeline().setStages(new PipelineStage[] {scaler, lr}).fit(weighted);
  }

  /** {@code rows} with {@value #SCORE}: the model's probability of an anomaly. */
  public static Dataset<Row> score(PipelineModel model, Dataset<Row> rows) {
    return model.transform(rows).withColumn(SCORE,
        element_at(functions.vector_to_array(col("probability"), "float64"), 2));
  }

  /** The threshold on the score that gives the best F1 on {@code scored} (rows with label and score). */
  public static double bestThreshold(Dataset<Row> scored) {
    Column[] grid = IntStream.rangeClosed(1, 99).mapToObj(i -> lit(i / 100.0)).toArray(Column[]::new);
    List<Row> byThreshold = scored.select(col(LABEL), col(SCORE), explode(array(grid)).as("t"))
        .groupBy("t")
        .agg(sum(when(col(SCORE).geq(col("t")).and(col(LABEL).equalTo(1)), 1).otherwise(0)).as("tp"),
            sum(when(col(SCORE).geq(col("t")).and(col(LABEL).equalTo(0)), 1).otherwise(0)).as("fp"),
            sum(when(col(SCORE).lt(col("t")).and(col(LABEL).equalTo(1)), 1).otherwise(0)).as("fn"))
        .collectAsList();
    return byThreshold.stream()
        .max(Comparator.comparingDouble((Row r) -> f1(r.getLong(1), r.getLong(2), r.getLong(3)))
            .thenComparingDouble(r -> r.getDouble(0)))
        .map(r -> r.getDouble(0)).orElse(0.5);
  }

  /** Precision, recall, F1 at {@code threshold} and ROC AUC of {@code model} on labelled rows. */
  public static Metrics evaluate(PipelineModel model, Dataset<Row> test, double threshold) {
    Dataset<Row> scored = score(model, test).cache();
    try {
      Row c = scored.agg(
          sum(when(col(SCORE).geq(threshold).and(col(LABEL).equalTo(1)), 1).otherwise(0)),
          sum(when(col(SCORE).geq(threshold).and(col(LABEL).equalTo(0)), 1).otherwise(0)),
          sum(when(col(SCORE).lt(threshold).and(col(LABEL).equalTo(1)), 1).otherwise(0))).first();
      long tp = c.getLong(0);
      long fp = c.getLong(1);
      long fn = c.getLong(2);
      double auc = new BinaryClassificationEvaluator().setLabelCol(LABEL).setRawPredictionCol("rawPrediction")
          .setMetricName("areaUnderROC").evaluate(scored);
      return new Metrics(tp + fp == 0 ? 0 : (double) tp / (tp + fp), tp + fn == 0 ? 0 : (double) tp / (tp + fn),
          f1(tp, fp, fn), auc, tp, fp, fn);
    } finally {
      scored.unpersist();
    }
  }

  /** How a model did on a test set. */
  public record Metrics(double precision, double recall, double f1, double auc, long truePositives,
      long falsePositives, long falseNegatives) {}

  /**
   * The features that pushed this vector's score up most: coefficient times standardized value,
   * largest first, at most {@code k}.
   */
  public static List<String> topContributions(PipelineModel model, List<String> names, Vector features, int k) {
    StandardScalerModel scaler = (StandardScalerModel) model.stages()[0];
    LogisticRegressionModel lr = (LogisticRegressionModel) model.stages()[1];
    double[] mean = scaler.mean().toArray();
    double[] std = scaler.std().toArray();
    double[] coef = lr.coefficients().toArray();
    List<double[]> contributions = new ArrayList<>();
    for (int i = 0; i < coef.length; i++) {
      double scaled = std[i] == 0 ? 0 : (features.apply(i) - mean[i]) / std[i];
      contributions.add(new double[] {i, coef[i] * scaled});
    }
    return contributions.stream()
        .filter(c -> c[1] > 0)
        .sorted(Comparator.comparingDouble((double[] c) -> -c[1]))
        .limit(k)
        .map(c -> names.get((int) c[0]))
        .toList();
  }

  private static double f1(long tp, long fp, long fn) {
    return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
  }
}
