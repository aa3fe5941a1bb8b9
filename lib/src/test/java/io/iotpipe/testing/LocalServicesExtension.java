package io.iotpipe.testing;

import io.iotpipe.local.LocalServices;
import io.iotpipe.local.ProjectHome;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives integration tests the real local Kafka and Cassandra, through the same launcher as
 * {@code scripts/services}: reused when they already run (scripts/test starts them once for the
 * whole build), otherwise started once per test JVM and stopped when that JVM ends.
 *
 * <pre>{@code @ExtendWith(LocalServicesExtension.class) class MyIT { ... LocalServicesExtension.services() ... }}</pre>
 */
public final class LocalServicesExtension implements BeforeAllCallback {
  private static LocalServices services;

  @Override
  public void beforeAll(ExtensionContext context) {
    services();
  }

  /** The running services (started on first use). */
  public static synchronized LocalServices services() {
    if (services == null) {
      LocalServices s = LocalServices.fromProfile(ProjectHome.find());
      List<String> started = s.start();
      if (!started.isEmpty()) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> s.stop(started)));
      }
      services = s;
    }
    return services;
  }

  /** A topic name no other test uses. */
  public static String uniqueTopic(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
