package io.iotpipe.ml;

/**
 * Whether a newly trained model replaces the published one. Both are judged on the same held-out
 * data (the new model's test set); the new one must not score worse (ROC AUC, then F1 at its
 * threshold) unless publishing is forced.
 */
public record Publication(boolean publish, String reason) {

  /**
   * @param published the published model's metrics on the new model's test set, or null when
   *     nothing is published or the published model uses other features (and cannot be compared)
   */
  public static Publication decide(AnomalyModel.Metrics candidate, AnomalyModel.Metrics published, boolean force) {
    if (published == null) {
      return new Publication(true, "no comparable published model");
    }
    boolean worse = candidate.auc() < published.auc() - 1e-9
        || (Math.abs(candidate.auc() - published.auc()) <= 1e-9 && candidate.f1() < published.f1() - 1e-9);
    String comparison = String.format("AUC %.4f vs %.4f, F1 %.4f vs %.4f on the same test set", candidate.auc(),
        published.auc(), candidate.f1(), published.f1());
    if (!worse) {
      return new Publication(true, "not worse than the published model: " + comparison);
    }
    return force
        ? new Publication(true, "worse than the published model, published because forced: " + comparison)
        : new Publication(false, "worse than the published model, not published (use --train.force): " + comparison);
  }
}
