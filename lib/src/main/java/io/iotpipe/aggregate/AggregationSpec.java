package io.iotpipe.aggregate;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * What windows to compute and how long to wait for them.
 *
 * @param windowSizes tumbling window sizes, each a whole number of seconds dividing a day and a
 *     multiple of the smallest: the smallest are computed from the events, the others merged from
 *     them
 * @param allowedLateness how far behind the largest event time seen an event may be and still
 *     count: the watermark is that largest event time minus this; a window is final, and an
 *     event for it late, once the watermark has reached the end of the event's smallest window
 */
public record AggregationSpec(List<Duration> windowSizes, Duration allowedLateness) implements Serializable {

  public AggregationSpec {
    windowSizes = windowSizes.stream().distinct().sorted().toList();
    if (windowSizes.isEmpty()) {
      throw new IllegalArgumentException("at least one window size is needed");
    }
    long finest = windowSizes.get(0).toSeconds();
    for (Duration d : windowSizes) {
      if (d.toMillis() % 1000 != 0 || d.toSeconds() <= 0 || 86_400 % d.toSeconds() != 0) {
        throw new IllegalArgumentException("window size " + d + " must be whole seconds that divide a day");
      }
      if (d.toSeconds() % finest != 0) {
        throw new IllegalArgumentException("window size " + d + " must be a multiple of the smallest, "
            + windowSizes.get(0) + ", to be merged from it");
      }
    }
  }

  /** The smallest window size, the one computed from the events. */
  public Duration finest() {
    return windowSizes.get(0);
  }

  /** The window sizes merged from the smallest, smallest first. */
  public List<Duration> coarser() {
    return windowSizes.subList(1, windowSizes.size());
  }
}
