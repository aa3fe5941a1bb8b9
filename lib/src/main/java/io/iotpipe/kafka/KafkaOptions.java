package io.iotpipe.kafka;

import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Secret;
import io.iotpipe.config.Settings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach Kafka: brokers, the events topic and, for secured clusters, SASL credentials. The
 * password comes from {@code IOTPIPE_KAFKA_PASSWORD} or the file named by
 * {@code kafka.password-file}, never from a profile or the command line.
 */
public record KafkaOptions(
    String bootstrapServers,
    String eventsTopic,
    SecurityProtocol securityProtocol,
    SaslMechanism saslMechanism,
    Optional<String> username,
    Optional<Secret> password) {

  public enum SecurityProtocol { PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL }

  public enum SaslMechanism { PLAIN, SCRAM_SHA_256, SCRAM_SHA_512 }

  public static final OptionKey<String> BOOTSTRAP_SERVERS = OptionKey.string(
      "kafka.bootstrap-servers", null, "Kafka brokers, host:port[,host:port...]");
  public static final OptionKey<String> EVENTS_TOPIC = OptionKey.string(
      "kafka.events-topic", "telemetry", "topic the devices' telemetry events arrive on");
  public static final OptionKey<SecurityProtocol> SECURITY_PROTOCOL = OptionKey.choice(
      "kafka.security-protocol", SecurityProtocol.class, SecurityProtocol.PLAINTEXT,
      "Kafka security.protocol");
  public static final OptionKey<SaslMechanism> SASL_MECHANISM = OptionKey.choice(
      "kafka.sasl-mechanism", SaslMechanism.class, SaslMechanism.SCRAM_SHA_512,
      "SASL mechanism when the protocol is SASL_*");
  public static final OptionKey<String> USERNAME = OptionKey.string(
      "kafka.username", null, "SASL user (password: IOTPIPE_KAFKA_PASSWORD or --kafka.password-file)");

  public static final List<OptionKey<?>> KEYS =
      List.of(BOOTSTRAP_SERVERS, EVENTS_TOPIC, SECURITY_PROTOCOL, SASL_MECHANISM, USERNAME);

  public static KafkaOptions from(Settings s) {
    String servers = s.get(BOOTSTRAP_SERVERS);
    for (String hp : servers.split(",")) {
      if (!hp.trim().matches("[^\\s:]+:\\d{1,5}")) {
        throw new InvalidOptionException(BOOTSTRAP_SERVERS.name(),
            "'" + hp.trim() + "' is not host:port");
      }
    }
    KafkaOptions o = new KafkaOptions(servers, s.get(EVENTS_TOPIC), s.get(SECURITY_PROTOCOL),
        s.get(SASL_MECHANISM), s.find(USERNAME), s.secret("kafka.password"));
    if (o.sasl() && (o.username.isEmpty() || o.password.isEmpty())) {
      throw new InvalidOptionException(USERNAME.name(), "kafka.security-protocol "
          + o.securityProtocol + " needs --kafka.username and a password in "
          + Settings.envName("kafka.password") + " or --kafka.password-file");
    }
    if (!o.sasl() && o.username.isPresent()) {
      throw new InvalidOptionException(USERNAME.name(),
          "a user name is only used with --kafka.security-protocol SASL_PLAINTEXT or SASL_SSL");
    }
    return o;
  }

  private boolean sasl() {
    return securityProtocol == SecurityProtocol.SASL_PLAINTEXT || securityProtocol == SecurityProtocol.SASL_SSL;
  }

  /** Properties for a Kafka client (producer, consumer, admin). */
  public Map<String, Object> clientProperties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("bootstrap.servers", bootstrapServers);
    p.put("security.protocol", securityProtocol.name());
    if (sasl()) {
      String mechanism = saslMechanism.name().replace('_', '-');
      p.put("sasl.mechanism", mechanism);
      String module = saslMechanism == SaslMechanism.PLAIN
          ? "org.apache.kafka.common.security.plain.PlainLoginModule"
          : "org.apache.kafka.common.security.scram.ScramLoginModule";
      // Kafka's own config logging prints sasl.jaas.config as [hidden].
      p.put("sasl.jaas.config", module + " required username=\"" + username.orElseThrow()
          + "\" password=\"" + password.orElseThrow().reveal() + "\";");
    }
    return p;
  }

  /** The same properties as options of Spark's Kafka source and sink ("kafka." prefixed). */
  public Map<String, String> sparkOptions() {
    Map<String, String> o = new LinkedHashMap<>();
    clientProperties().forEach((k, v) -> o.put("kafka." + k, String.valueOf(v)));
    return o;
  }

  @Override
  public String toString() {
    return "KafkaOptions[" + bootstrapServers + ", topic " + eventsTopic + ", " + securityProtocol
        + username.map(u -> ", user " + u).orElse("") + "]";
  }
}
