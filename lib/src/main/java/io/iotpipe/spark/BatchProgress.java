package io.iotpipe.spark;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Per-micro-batch accounting of one streaming query: the query's sink reports what it wrote for
 * a batch ({@link #sinkCounts}), Spark reports what the batch consumed, and {@link #onBatch}
 * sees both together. Binds to the first run of its query name that starts after it is added,
 * so that it never mixes two runs.
 *
 * @param <C> what the sink reports for a batch
 */
public abstract class BatchProgress<C> extends StreamingQueryListener {
  private static final long serialVersionUID = 1L;

  private final String queryName;
  private final Map<Long, C> pending = new ConcurrentHashMap<>();
  private volatile UUID runId;
  private volatile long lastBatchId = -1;

  protected BatchProgress(String queryName) {
    this.queryName = queryName;
  }

  /** Called by the sink, inside the batch. */
  public void sinkCounts(long batchId, C counts) {
    pending.put(batchId, counts);
  }

  /**
   * One finished micro-batch with what its sink reported (null when the sink saw no rows and
   * reported nothing).
   */
  protected abstract void onBatch(StreamingQueryProgress progress, C sinkCounts);

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    if (runId == null && queryName.equals(event.name())) {
      runId = event.runId();
    }
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    StreamingQueryProgress p = event.progress();
    if (runId != null && runId.equals(p.runId())) {
      onBatch(p, pending.remove(p.batchId()));
      lastBatchId = p.batchId();
    }
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {}

  /**
   * Call when {@code query} has ended: waits until its last batch has been handled (listener
   * events are asynchronous) and unregisters this listener.
   */
  public void settle(StreamingQuery query) throws InterruptedException {
    if (query.lastProgress() != null) {
      awaitBatch(query.lastProgress().batchId());
    }
    if (!query.isActive()) {
      query.sparkSession().streams().removeListener(this);
    }
  }

  /** Waits (30 s at most) until the progress of {@code batchId} has been handled. */
  private void awaitBatch(long batchId) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (lastBatchId < batchId && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  /** Rows Spark's stateful operators dropped as behind the watermark in this batch (should be none). */
  protected static long droppedByWatermark(StreamingQueryProgress p) {
    long n = 0;
    for (var op : p.stateOperators()) {
      n += op.numRowsDroppedByWatermark();
    }
    return n;
  }

  /** The first value of the batch's observation {@code name} (a count), 0 when the batch had none. */
  protected static long observedCount(StreamingQueryProgress p, String name) {
    var row = p.observedMetrics().get(name);
    return row == null ? 0 : row.getLong(0);
  }

  /** A custom metric summed over the stateful operators. */
  protected static long stateMetric(StreamingQueryProgress p, String name) {
    long n = 0;
    for (var op : p.stateOperators()) {
      Long v = op.customMetrics().get(name);
      n += v == null ? 0 : v;
    }
    return n;
  }
}
