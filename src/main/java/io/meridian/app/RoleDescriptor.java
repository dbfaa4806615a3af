package io.meridian.app;

import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import java.util.List;
import java.util.function.Function;

/**
 * One role as the launcher deploys it: its name, the config sections its verticle receives,
 * and how to make its verticle. "All in one" and "split by role" are two lists of the same
 * descriptors.
 *
 * @param name     role name ({@link io.meridian.common.config.RoleNames})
 * @param sections top-level config sections handed to the verticle as its config
 * @param factory  creates the verticle
 */
public record RoleDescriptor(String name, List<String> sections, Function<RoleContext, RoleVerticle> factory) {

  public RoleDescriptor {
    sections = List.copyOf(sections);
  }
}
