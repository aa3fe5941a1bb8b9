package io.iotpipe.sim;

import java.util.List;

/**
 * How one kind of sensor reading behaves: a level, a daily cycle and noise. Devices scatter
 * around these levels.
 *
 * @param base typical level
 * @param dailyAmplitude half the peak-to-trough swing of the daily cycle
 * @param noise standard deviation of the reading noise
 */
record MetricProfile(String name, double base, double dailyAmplitude, double noise) {

  /** Spread of the readings of one device over a day: the scale in which anomalies are sized. */
  double scale() {
    return Math.sqrt(noise * noise + dailyAmplitude * dailyAmplitude / 2);
  }

  static final List<MetricProfile> CATALOG = List.of(
      new MetricProfile("temperature", 21.0, 4.0, 0.3),
      new MetricProfile("humidity", 45.0, 10.0, 1.0),
      new MetricProfile("pressure", 1013.0, 3.0, 0.4),
      new MetricProfile("battery", 85.0, 1.0, 0.2),
      new MetricProfile("vibration", 0.8, 0.3, 0.05),
      new MetricProfile("co2", 600.0, 150.0, 15.0),
      new MetricProfile("voltage", 230.0, 2.0, 0.6),
      new MetricProfile("current", 4.0, 1.5, 0.15),
      new MetricProfile("rpm", 1500.0, 300.0, 20.0),
      new MetricProfile("noise_db", 55.0, 10.0, 2.0));
}
