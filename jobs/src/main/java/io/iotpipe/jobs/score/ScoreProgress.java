package io.iotpipe.jobs.score;

import io.iotpipe.spark.BatchProgress;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per micro-batch of the score query, and totals. */
public final class ScoreProgress extends BatchProgress<ScoreSink.Counts> implements ScoreSink.Listener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger("io.iotpipe.jobs.score");

  private final AtomicLong scored = new AtomicLong();
  private final AtomicLong alerts = new AtomicLong();

  ScoreProgress(String queryName) {
    super(queryName);
  }

  @Override
  public void batch(long batchId, ScoreSink.Counts counts) {
    sinkCounts(batchId, counts);
  }

  @Override
  protected void onBatch(StreamingQueryProgress p, ScoreSink.Counts c) {
    if (c == null) {
      return;
    }
    scored.addAndGet(c.scored());
    alerts.addAndGet(c.alerts());
    if (c.modelVersion() == 0) {
      LOG.warn("score batch {}: {} feature rows, no published model: nothing scored", p.batchId(), p.numInputRows());
    } else {
      LOG.info(String.format("score batch %d: %,d feature rows scored with model v%d, %,d alerts (%,d ms)", p.batchId(),
          c.scored(), c.modelVersion(), c.alerts(), p.batchDuration()));
    }
  }

  public Totals totals() {
    return new Totals(scored.get(), alerts.get());
  }

  public record Totals(long scored, long alerts) {}
}
