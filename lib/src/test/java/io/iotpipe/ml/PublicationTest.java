package io.iotpipe.ml;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PublicationTest {
  static AnomalyModel.Metrics m(double auc, double f1) {
    return new AnomalyModel.Metrics(f1, f1, f1, auc, 0, 0, 0);
  }

  @Test
  void theFirstModelIsPublished() {
    assertTrue(Publication.decide(m(0.9, 0.8), null, false).publish());
  }

  @Test
  void aModelNoWorseIsPublished() {
    assertTrue(Publication.decide(m(0.95, 0.8), m(0.95, 0.8), false).publish());
    assertTrue(Publication.decide(m(0.96, 0.7), m(0.95, 0.8), false).publish(), "AUC decides first");
  }

  @Test
  void aWorseModelIsPublishedOnlyWhenForced() {
    Publication refused = Publication.decide(m(0.90, 0.9), m(0.95, 0.8), false);
    assertFalse(refused.publish());
    assertTrue(refused.reason().contains("--train.force"), refused.reason());
    assertFalse(Publication.decide(m(0.95, 0.7), m(0.95, 0.8), false).publish(), "equal AUC, lower F1");
    assertTrue(Publication.decide(m(0.90, 0.9), m(0.95, 0.8), true).publish());
  }
}
