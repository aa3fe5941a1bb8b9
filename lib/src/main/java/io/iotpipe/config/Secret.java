package io.iotpipe.config;

import java.util.Objects;

/**
 * A credential. Its {@link #toString()} never shows the value, so a Secret can be logged,
 * printed in option dumps and kept in records without leaking; only {@link #reveal()} gives it.
 */
public final class Secret {
  private final String value;

  public Secret(String value) {
    this.value = Objects.requireNonNull(value);
  }

  public String reveal() {
    return value;
  }

  @Override
  public String toString() {
    return "****";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && s.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}
