package io.iotpipe.config;

/**
 * A configuration value that cannot be used. The message always names the option (as
 * {@code --key}) and where its value came from, so that the operator can fix it without reading
 * code. Thrown before any job writes anything.
 */
public final class InvalidOptionException extends RuntimeException {
  private final String key;

  public InvalidOptionException(String key, String message) {
    super("--" + key + ": " + message);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
