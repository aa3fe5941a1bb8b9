package io.iotpipe.jobs.simulate;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.jobs.Job;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.sim.FleetSimulator;
import io.iotpipe.sim.KafkaRecordSink;
import io.iotpipe.sim.SimulationSummary;
import io.iotpipe.sim.SimulatorOptions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Job {@code simulate}: sends a simulated fleet's telemetry to the events topic (no Spark). */
public final class SimulateJob implements Job {
  private static final Logger LOG = LoggerFactory.getLogger(SimulateJob.class);

  @Override
  public String name() {
    return "simulate";
  }

  @Override
  public String description() {
    return "send a reproducible simulated fleet to Kafka, with ground truth of what was injected";
  }

  @Override
  public List<OptionKey<?>> options() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(SimulatorOptions.KEYS);
    return keys;
  }

  @Override
  public int run(Settings settings) {
    KafkaOptions kafka = KafkaOptions.from(settings);
    SimulatorOptions o = SimulatorOptions.from(settings);
    SimulationSummary s = simulate(kafka, o);
    LOG.info("simulate: sent {} records to {}: {} valid events ({} late), {} duplicates, {} malformed; truth in {}",
        s.recordsSent(), s.topic(), s.validEvents(), s.lateEvents(), s.duplicates(), s.malformedTotal(),
        s.truthFile());
    return 0;
  }

  public static SimulationSummary simulate(KafkaOptions kafka, SimulatorOptions o) {
    LOG.info("simulate: {} tenants x {} devices x {} metrics, {} of event time from {}, every {}{}",
        o.tenants(), o.devicesPerTenant(), o.metrics(), o.duration(), o.start(), o.interval(),
        o.rate() > 0 ? ", at " + o.rate() + " records/s" : ", as fast as possible");
    try (KafkaRecordSink sink = new KafkaRecordSink(kafka, kafka.eventsTopic(), o.partitions())) {
      return FleetSimulator.run(o, sink, kafka.eventsTopic());
    }
  }
}
