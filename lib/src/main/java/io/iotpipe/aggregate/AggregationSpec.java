package io.iotpipe.aggregate;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * What windows to compute and how long to wait for them.
 *
 * @param windowSizes tumbling window sizes, each a whole number of seconds dividing a day
 * @param allowedLateness how far behind the largest event time seen an event may be and still
 *     count: the watermark is that largest event time minus this; a window is final, and an
 *     event for it late, once the watermark has reached the window's end
 * @param dedupWindow a second event with the same event_id from the same device within this
 *     much processing time is a duplicate
 */
public record AggregationSpec(List<Duration> windowSizes, Duration allowedLateness, Duration dedupWindow)
    implements Serializable {

  public AggregationSpec {
    windowSizes = List.copyOf(windowSizes);
    for (Duration d : windowSizes) {
      if (d.toMillis() % 1000 != 0 || d.toSeconds() <= 0 || 86_400 % d.toSeconds() != 0) {
        throw new IllegalArgumentException("window size " + d + " must be whole seconds that divide a day");
      }
    }
  }

  public long[] sizesMicros() {
    return windowSizes.stream().mapToLong(d -> d.toSeconds() * 1_000_000L).toArray();
  }
}
